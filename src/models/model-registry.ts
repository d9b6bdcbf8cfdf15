import { readdir } from 'node:fs/promises';
import type { Logger } from '../logging/logger.js';
import { AppError, notFound, unprocessable } from '../errors/app-error.js';
import { pickDefaultVersion } from './default-version.js';
import { isValidVersionName, loadModelFolder, ModelLoadError, type LoadedModel } from './model-loader.js';
import { OneAtATime } from './one-at-a-time.js';

export interface RegistrySnapshot {
  readonly models: ReadonlyMap<string, LoadedModel>;
  /** Folders that failed validation, with the reason; listed, never used. */
  readonly broken: ReadonlyMap<string, string>;
  /** Feature names of every schema version a loaded model declares (read on every ingest). */
  readonly schemas: ReadonlyMap<string, readonly string[]>;
  readonly active: LoadedModel | null;
  readonly activeError: string | null;
}

export interface ReloadOutcome {
  readonly active: LoadedModel;
  readonly previousVersion: string | null;
}

const EMPTY: RegistrySnapshot = { models: new Map(), broken: new Map(), schemas: new Map(), active: null, activeError: 'not loaded yet' };

/**
 * Holds an immutable snapshot of the model folders. A reload builds a whole new snapshot and swaps
 * it in one assignment, so a caller that took `active()` keeps scoring with that model.
 */
export class ModelRegistry {
  private snapshot: RegistrySnapshot = EMPTY;
  private readonly reloads = new OneAtATime();

  constructor(
    private readonly modelsDir: string,
    private readonly logger: Logger,
  ) {}

  current(): RegistrySnapshot {
    return this.snapshot;
  }

  /** Puts `previous` back if `installed` is still in force (no reload since); true when it did. */
  restore(installed: RegistrySnapshot, previous: RegistrySnapshot): boolean {
    if (this.snapshot !== installed) return false;
    this.snapshot = previous;
    return true;
  }

  active(): LoadedModel | null {
    return this.snapshot.active;
  }

  requireActive(): LoadedModel {
    const active = this.snapshot.active;
    if (!active) {
      throw new AppError(503, 'model_unavailable', 'no active model is loaded', { reason: this.snapshot.activeError });
    }
    return active;
  }

  /** A loaded version, or the active one when `version` is undefined; 404/422 otherwise. */
  resolve(version: string | undefined): LoadedModel {
    if (version === undefined) return this.requireActive();
    const model = this.snapshot.models.get(version);
    if (model) return model;
    const broken = this.snapshot.broken.get(version);
    if (broken !== undefined) throw unprocessable('invalid_model', `model ${version} is invalid: ${broken}`, { version, reason: broken });
    throw notFound('model_not_found', `model version ${version} does not exist`, { version });
  }

  /** Feature names of every schema version some loaded model declares. */
  featureSchemas(): ReadonlyMap<string, readonly string[]> {
    return this.snapshot.schemas;
  }

  /** Start-up load: a broken active model leaves the registry without an active one (not ready). */
  async load(activeVersion: string | undefined): Promise<void> {
    const scanned = await this.scan();
    const pick = activeVersion ?? pickDefaultVersion(scanned.models.values());
    let active: LoadedModel | null = null;
    let activeError: string | null = null;
    if (pick === undefined) activeError = `no valid model in ${this.modelsDir}`;
    else if (scanned.models.has(pick)) active = scanned.models.get(pick)!;
    else activeError = scanned.broken.get(pick) ?? `model version ${pick} does not exist in ${this.modelsDir}`;
    this.snapshot = { ...scanned, active, activeError };
    if (active) this.logger.info({ model_version: active.version }, 'active model loaded');
    else this.logger.error({ model_version: pick, reason: activeError }, 'no active model');
  }

  /**
   * Re-reads the folders and switches to `version` (default: the pick of models/default-version.ts). On any
   * error the previous snapshot stays in force.
   */
  reload(version: string | undefined): Promise<ReloadOutcome> {
    return this.reloads.run(() => this.reloadNow(version));
  }

  private async reloadNow(version: string | undefined): Promise<ReloadOutcome> {
    const scanned = await this.scan();
    const pick = version ?? pickDefaultVersion(scanned.models.values());
    if (pick === undefined) throw notFound('model_not_found', `no valid model in ${this.modelsDir}`);
    const broken = scanned.broken.get(pick);
    if (broken !== undefined) throw unprocessable('invalid_model', `model ${pick} is invalid: ${broken}`, { version: pick, reason: broken });
    const active = scanned.models.get(pick);
    if (!active) throw notFound('model_not_found', `model version ${pick} does not exist`, { version: pick });
    const previousVersion = this.snapshot.active?.version ?? null;
    this.snapshot = { ...scanned, active, activeError: null };
    this.logger.info({ model_version: active.version, previous_version: previousVersion }, 'model reloaded');
    return { active, previousVersion };
  }

  private async scan(): Promise<Pick<RegistrySnapshot, 'models' | 'broken' | 'schemas'>> {
    const models = new Map<string, LoadedModel>();
    const broken = new Map<string, string>();
    let entries: string[] = [];
    try {
      entries = (await readdir(this.modelsDir, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      this.logger.error({ err, models_dir: this.modelsDir }, 'cannot read the models directory');
    }
    const schemaOwners = new Map<string, LoadedModel>();
    for (const version of entries) {
      if (!isValidVersionName(version)) continue;
      try {
        const model = await loadModelFolder(this.modelsDir, version);
        const owner = schemaOwners.get(model.featureSchemaVersion);
        if (owner && owner.features.join('\u0000') !== model.features.join('\u0000')) {
          throw new ModelLoadError(version, `feature schema ${model.featureSchemaVersion} lists different features than in model ${owner.version}`);
        }
        schemaOwners.set(model.featureSchemaVersion, model);
        models.set(version, model);
      } catch (err) {
        const reason = err instanceof ModelLoadError ? err.message : `unexpected error: ${(err as Error).message}`;
        broken.set(version, reason);
        this.logger.warn({ model_version: version, reason }, 'model folder is invalid');
      }
    }
    const schemas = new Map<string, readonly string[]>();
    for (const [schemaVersion, model] of schemaOwners) schemas.set(schemaVersion, model.features);
    return { models, broken, schemas };
  }
}
