/** A Dockerfile read into stages, enough for the image-layout checks (no engine on these machines). */
export interface Instruction {
  readonly keyword: string;
  /** `--from=build` → { from: 'build' }. */
  readonly flags: Readonly<Record<string, string>>;
  readonly args: readonly string[];
  /** Exec form (`["node", "x.js"]`) rather than shell form. */
  readonly exec: boolean;
  readonly text: string;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

function parseInstruction(line: string): Instruction {
  const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/s.exec(line) ?? [];
  if (rest.startsWith('[')) return { keyword: keyword.toUpperCase(), flags: {}, args: JSON.parse(rest) as string[], exec: true, text: rest };
  const words = rest.split(/\s+/).filter((w) => w !== '');
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [name = '', value = 'true'] = words.shift()!.slice(2).split(/=(.*)/s);
    flags[name] = value;
  }
  return { keyword: keyword.toUpperCase(), flags, args: words, exec: false, text: rest };
}

export function parseDockerfile(text: string): Stage[] {
  // Comments and blank lines go first; a trailing backslash continues the instruction.
  const lines = text.split('\n').filter((l) => !/^\s*(#.*)?$/.test(l));
  const joined = lines.join('\n').replace(/\\\n\s*/g, ' ').split('\n');
  const stages: Array<{ image: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const instruction of joined.map(parseInstruction)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args;
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`${instruction.keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The last value an instruction took in a stage (WORKDIR, USER, CMD, ...). */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
