import type { Express } from 'express';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `method path-template` the Express app routes, found by walking its router stack. */
export function servedRoutes(app: Express): Set<string> {
  const found = new Set<string>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          // `:name` is a parameter; `\\:` a literal colon (the `epochs:ingest` verb).
          const template = path.replace(/(?<!\\):(\w+)/g, '{$1}').replace(/\\:/g, ':');
          for (const method of Object.keys(layer.route.methods)) if (method !== '_all') found.add(`${method} ${template}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}
