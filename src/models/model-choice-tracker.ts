import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { setActiveModel } from '../metrics/metrics.js';
import type { ModelRegistry } from './model-registry.js';
import { OneAtATime } from './one-at-a-time.js';
import { readModelChoice, seedModelChoice, type ModelChoice } from './model-choice.repository.js';

/** A reload's choice as earlier releases kept it (a Redis key); read only while PostgreSQL has none. */
export interface LegacyChoice {
  readonly version: string;
  readonly configured: string | null;
}

/**
 * Which reload (model_choice.seq) this process has applied, and applying newer ones in order: from
 * a broadcast or from the periodic check, one at a time, never going back to an older choice.
 */
export class ModelChoiceTracker {
  private appliedSeq = 0;
  private configured: string | null = null;
  /** Set when the choice could not be read at start: the first one read is judged as at start. */
  private startupRulePending = false;
  private readonly turns = new OneAtATime();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly registry: ModelRegistry,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /**
   * The version a starting process uses: the last reload's choice while the configured version is
   * the one it was made under, else the configured one.
   */
  async startupVersion(configured: string | undefined, legacy: () => Promise<LegacyChoice | undefined>): Promise<string | undefined> {
    this.configured = configured ?? null;
    let choice: ModelChoice | undefined;
    try {
      choice = await readModelChoice(this.db);
    } catch (err) {
      this.logger.warn({ err }, 'cannot read the model choice; judging it at the first check');
      this.startupRulePending = true;
    }
    if (!choice) {
      const old = await legacy().catch((err: unknown) => {
        this.logger.warn({ err }, 'cannot read the earlier model choice in Redis; using the configuration');
        return undefined;
      });
      if (!old) return configured;
      // Kept in PostgreSQL from now on, so a Redis restarted empty cannot lose it.
      if (!this.startupRulePending) choice = await seedModelChoice(this.db, old.version, old.configured).catch(() => undefined);
      if (!choice) return old.configured === this.configured ? old.version : configured;
    }
    const picked = this.underStartupRule(choice);
    // Taken: counted as applied only by the first check, which loads it again if the load failed
    // here (a folder still being copied). Rejected by the configuration: counted as seen.
    this.appliedSeq = picked === undefined ? choice.seq : choice.seq - 1;
    return picked ?? configured;
  }

  /**
   * Runs a reload made in this process (switch, then record) as one step of the chain, so no choice
   * heard meanwhile lands between the switch and its record; `seq` is what it recorded.
   */
  local<T extends { readonly seq: number }>(step: () => Promise<T>): Promise<T> {
    return this.turns.run(async () => {
      const made = await step();
      this.appliedSeq = Math.max(this.appliedSeq, made.seq);
      return made;
    });
  }

  /** A reload message of an earlier release (no seq): switched to in turn, without a record. */
  applyUnnumbered(version: string): Promise<void> {
    return this.turns.run(async () => {
      setActiveModel(this.metrics, (await this.registry.reload(version)).active.version);
    });
  }

  /** Switches to `version` if choice `seq` is newer than the last applied; throws if the switch fails. */
  apply(seq: number, version: string): Promise<void> {
    return this.turns.run(async () => {
      if (seq <= this.appliedSeq) return;
      if (this.registry.active()?.version !== version) {
        const outcome = await this.registry.reload(version);
        setActiveModel(this.metrics, outcome.active.version);
        this.logger.info({ model_version: version, seq }, 'switched to the shared model choice');
      }
      this.appliedSeq = Math.max(this.appliedSeq, seq);
    });
  }

  /** The periodic check: applies a choice this process missed (Redis down, or a lost broadcast). */
  async catchUp(): Promise<void> {
    const choice = await readModelChoice(this.db);
    if (!choice) return;
    if (this.startupRulePending) {
      this.startupRulePending = false;
      const version = this.underStartupRule(choice);
      if (version === undefined) {
        this.appliedSeq = Math.max(this.appliedSeq, choice.seq);
        return;
      }
      return this.applyLogged(choice.seq, version);
    }
    return this.applyLogged(choice.seq, choice.version);
  }

  private underStartupRule(choice: ModelChoice): string | undefined {
    return choice.configured === this.configured ? choice.version : undefined;
  }

  private async applyLogged(seq: number, version: string): Promise<void> {
    // Not applied, so the next check tries again (a model folder still being copied here, say).
    await this.apply(seq, version).catch((err: unknown) => this.logger.error({ err, model_version: version, seq }, 'cannot switch to the shared model choice; keeping the previous model'));
  }
}
