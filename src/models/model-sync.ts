import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { PeriodicTask } from '../jobs/periodic-task.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { setActiveModel } from '../metrics/metrics.js';
import { deploymentTag } from '../queues/shards.js';
import type { RedisClient } from '../redis/connections.js';
import { closeRedis } from '../redis/connections.js';
import { publish, subscribe } from '../redis/pubsub.js';
import { writeModelChoice } from './model-choice.repository.js';
import { ModelChoiceTracker, type LegacyChoice } from './model-choice-tracker.js';
import type { ModelRegistry, ReloadOutcome } from './model-registry.js';

interface ReloadMessage {
  requestId: string;
  origin: string;
  version: string;
  /** The choice's number in model_choice (absent from earlier releases' messages). */
  seq?: number;
}

interface AckMessage {
  requestId: string;
  process: string;
  version: string;
  ok: boolean;
  error?: string;
}

export interface BroadcastOutcome {
  expected: number;
  acknowledged: number;
  failed: Array<{ process: string; error: string }>;
}

export interface ModelSyncOptions {
  readonly redis: RedisClient;
  /** Opens a connection of role `subscriber` (a Cluster one subscribes per shard). */
  readonly openSubscriber: () => RedisClient;
  readonly queuePrefix: string;
  readonly registry: ModelRegistry;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly db: Kysely<Database>;
  /** MODEL_SYNC_INTERVAL_SECONDS in ms: how often the stored choice is compared. */
  readonly checkEveryMs: number;
}

/**
 * Shares model reloads between processes. The choice is a row of PostgreSQL (model_choice), which
 * a starting process reads; a reload is also carried over Redis pub/sub, where each process swaps
 * its own registry snapshot and acknowledges, so the API can report how many switched. Every
 * process compares the row with what it applied every MODEL_SYNC_INTERVAL_SECONDS, so one that
 * missed a broadcast (Redis down or restarted) catches up.
 */
export class ModelSync {
  readonly processId = randomUUID();
  private subscriber: RedisClient | null = null;
  private readonly waiting = new Map<string, (ack: AckMessage) => void>();
  private readonly tracker: ModelChoiceTracker;
  private readonly check: PeriodicTask<void>;

  constructor(private readonly options: ModelSyncOptions) {
    this.tracker = new ModelChoiceTracker(options.db, options.registry, options.metrics, options.logger);
    this.check = new PeriodicTask('model choice check', options.checkEveryMs, () => this.tracker.catchUp(), options.logger);
  }

  private get channel(): string {
    return `${deploymentTag(this.options.queuePrefix)}:models:reload`;
  }
  private get ackChannel(): string {
    return `${deploymentTag(this.options.queuePrefix)}:models:ack`;
  }

  /** The version a starting process should use (see ModelChoiceTracker.startupVersion). */
  startupVersion(configured: string | undefined): Promise<string | undefined> {
    return this.tracker.startupVersion(configured, () => this.legacyChoice());
  }

  async start(): Promise<void> {
    this.check.start();
    if (this.subscriber) return;
    const subscriber = this.options.openSubscriber();
    this.subscriber = subscriber;
    subscriber.on('error', (err) => this.options.logger.warn({ err }, 'model sync subscriber error'));
    // Both channels carry the `{prefix}` hash tag: one slot, as sharded subscriptions require.
    await subscribe(subscriber, [this.channel, this.ackChannel], (channel, text) => {
      if (channel === this.channel) void this.onReload(JSON.parse(text) as ReloadMessage);
      else if (channel === this.ackChannel) {
        const ack = JSON.parse(text) as AckMessage;
        this.waiting.get(ack.requestId)?.(ack);
      }
    });
  }

  async stop(): Promise<void> {
    await this.check.stop();
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (subscriber) await closeRedis(subscriber);
  }

  /** One comparison of the stored choice with this process's model (the periodic check's pass). */
  checkOnce(): Promise<void> {
    return this.check.runOnce();
  }

  /**
   * Switches this process to `version` and records it as the choice (one step: when the record
   * fails, this process goes back to its previous snapshot and the error is thrown), then tells
   * every other process and waits (bounded) for their answers. A broadcast that fails leaves the
   * others to switch at their next check, as the answer says.
   */
  async reload(version: string | undefined, configured: string | undefined, timeoutMs = 5000): Promise<{ outcome: ReloadOutcome; processes: BroadcastOutcome }> {
    const { registry, metrics, db } = this.options;
    const { outcome, seq } = await this.tracker.local(async () => {
      const before = registry.current();
      const outcome = await registry.reload(version);
      const installed = registry.current();
      setActiveModel(metrics, outcome.active.version);
      try {
        return { outcome, seq: (await writeModelChoice(db, outcome.active.version, configured ?? null)).seq };
      } catch (err) {
        if (registry.restore(installed, before)) setActiveModel(metrics, before.active?.version ?? null);
        throw err;
      }
    });
    return { outcome, processes: await this.share(outcome.active.version, seq, timeoutMs) };
  }

  /** A choice heard from another process (its broadcast): applied in turn, if newer than the last. */
  applyChoice(seq: number, version: string): Promise<void> {
    return this.tracker.apply(seq, version);
  }

  private async share(version: string, seq: number, timeoutMs: number): Promise<BroadcastOutcome> {
    try {
      return await this.broadcast(version, seq, timeoutMs);
    } catch (err) {
      this.options.logger.warn({ err, model_version: version }, 'reload broadcast failed; the other processes switch at their next check');
      const every = Math.round(this.options.checkEveryMs / 1000);
      return { expected: 0, acknowledged: 0, failed: [{ process: 'every other process', error: `not told at once (${(err as Error).message}); each switches at its next check, within ${every} s` }] };
    }
  }

  private async broadcast(version: string, seq: number, timeoutMs: number): Promise<BroadcastOutcome> {
    const requestId = randomUUID();
    const outcome: BroadcastOutcome = { expected: 0, acknowledged: 0, failed: [] };
    let resolveAll: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveAll = resolve));
    this.waiting.set(requestId, (ack) => {
      if (ack.process === this.processId) return;
      if (ack.ok) outcome.acknowledged += 1;
      else outcome.failed.push({ process: ack.process, error: ack.error ?? 'unknown error' });
      if (outcome.acknowledged + outcome.failed.length >= outcome.expected) resolveAll();
    });
    try {
      const message: ReloadMessage = { requestId, origin: this.processId, version, seq };
      // PUBLISH answers how many subscribers got it; this process is one of them.
      outcome.expected = Math.max(0, (await publish(this.options.redis, this.channel, JSON.stringify(message))) - 1);
      if (outcome.expected > outcome.acknowledged + outcome.failed.length) {
        await Promise.race([done, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      }
    } finally {
      this.waiting.delete(requestId);
    }
    return outcome;
  }

  private async onReload(message: ReloadMessage): Promise<void> {
    if (message.origin === this.processId) return;
    const ack: AckMessage = { requestId: message.requestId, process: this.processId, version: message.version, ok: true };
    try {
      // A message older than what this process applied (two reloads racing) changes nothing.
      if (typeof message.seq === 'number') await this.applyChoice(message.seq, message.version);
      else await this.tracker.applyUnnumbered(message.version);
    } catch (err) {
      ack.ok = false;
      ack.error = (err as Error).message;
      this.options.logger.error({ err, model_version: message.version }, 'reload broadcast failed here; keeping the previous model');
    }
    await publish(this.options.redis, this.ackChannel, JSON.stringify(ack)).catch(() => undefined);
  }

  /** An earlier release's choice, kept in Redis: read while PostgreSQL has none yet. */
  private async legacyChoice(): Promise<LegacyChoice | undefined> {
    const raw = await this.options.redis.get(`${deploymentTag(this.options.queuePrefix)}:models:active`);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as { version: string; configured?: string | null };
    return { version: parsed.version, configured: parsed.configured ?? null };
  }
}
