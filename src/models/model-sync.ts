import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connections.js';
import { closeRedis } from '../redis/connections.js';
import { publish, subscribe } from '../redis/pubsub.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { setActiveModel } from '../metrics/metrics.js';
import type { ModelRegistry } from './model-registry.js';
import { deploymentTag } from '../queues/shards.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { PeriodicTask } from '../jobs/periodic-task.js';
import { readModelChoice, writeModelChoice } from './model-choice.repository.js';

interface ReloadMessage {
  requestId: string;
  origin: string;
  version: string;
  /** The choice's number in model_choice. */
  seq: number;
}

interface AckMessage {
  requestId: string;
  process: string;
  version: string;
  ok: boolean;
  error?: string;
}

/** The choice as earlier releases kept it in Redis: read only when PostgreSQL has none yet. */
interface SharedChoice {
  version: string;
  configured: string | null;
}

export interface BroadcastOutcome {
  expected: number;
  acknowledged: number;
  failed: Array<{ process: string; error: string }>;
}

/**
 * Shares model reloads between processes. The choice is a row of PostgreSQL (model_choice), which a
 * starting process reads; a reload is also carried over Redis pub/sub, where each process swaps its
 * own registry snapshot and acknowledges, so the API can report how many switched. Every process
 * also compares the row with what it last applied every MODEL_SYNC_INTERVAL_SECONDS, so one that
 * missed a broadcast (Redis down or restarted) catches up.
 */
export class ModelSync {
  readonly processId = randomUUID();
  private subscriber: RedisClient | null = null;
  private readonly waiting = new Map<string, (ack: AckMessage) => void>();
  /** The newest choice this process has applied (or seen superseded by its configuration). */
  private appliedSeq = 0;
  private readonly check: PeriodicTask<void>;

  constructor(
    private readonly redis: RedisClient,
    /** Opens a connection of role `subscriber` (a Cluster one subscribes per shard). */
    private readonly openSubscriber: () => RedisClient,
    private readonly queuePrefix: string,
    private readonly registry: ModelRegistry,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly db: Kysely<Database>,
    checkEveryMs: number,
  ) {
    this.check = new PeriodicTask('model choice check', checkEveryMs, () => this.catchUp(), logger);
  }

  private get channel(): string {
    return `${deploymentTag(this.queuePrefix)}:models:reload`;
  }
  private get ackChannel(): string {
    return `${deploymentTag(this.queuePrefix)}:models:ack`;
  }
  private get choiceKey(): string {
    return `${deploymentTag(this.queuePrefix)}:models:active`;
  }

  /**
   * The version a starting process should use: a reload's choice when the configuration has not
   * changed since that reload, else the configured one.
   */
  async startupVersion(configured: string | undefined): Promise<string | undefined> {
    try {
      const choice = await readModelChoice(this.db);
      if (choice) {
        this.appliedSeq = choice.seq;
        return choice.configured === (configured ?? null) ? choice.version : configured;
      }
    } catch (err) {
      this.logger.warn({ err }, 'cannot read the model choice; using the configuration');
      return configured;
    }
    try {
      const raw = await this.redis.get(this.choiceKey);
      if (raw) {
        const choice = JSON.parse(raw) as SharedChoice;
        if ((choice.configured ?? null) === (configured ?? null)) return choice.version;
      }
    } catch (err) {
      this.logger.warn({ err }, 'cannot read the shared model choice; using the configuration');
    }
    return configured;
  }

  async start(): Promise<void> {
    this.check.start();
    if (this.subscriber) return;
    const subscriber = this.openSubscriber();
    this.subscriber = subscriber;
    subscriber.on('error', (err) => this.logger.warn({ err }, 'model sync subscriber error'));
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

  /**
   * Records `version` (this process's new model) as the shared choice, tells every other process to
   * switch and waits (bounded) for their answers. When the message cannot be sent, `previous` is
   * recorded as the next choice again before the error is thrown, so the processes stay on it.
   */
  async share(version: string, configured: string | undefined, previous: string | null, timeoutMs = 5000): Promise<BroadcastOutcome> {
    const choice = await writeModelChoice(this.db, version, configured ?? null);
    this.appliedSeq = choice.seq;
    try {
      return await this.broadcast(version, choice.seq, timeoutMs);
    } catch (err) {
      if (previous !== null) this.appliedSeq = (await writeModelChoice(this.db, previous, configured ?? null)).seq;
      throw err;
    }
  }

  /** One comparison of the shared choice with this process's model (the periodic check's pass). */
  checkOnce(): Promise<void> {
    return this.check.runOnce();
  }

  private async catchUp(): Promise<void> {
    const choice = await readModelChoice(this.db);
    if (!choice || choice.seq <= this.appliedSeq) return;
    if (this.registry.active()?.version !== choice.version) {
      try {
        const outcome = await this.registry.reload(choice.version);
        setActiveModel(this.metrics, outcome.active.version);
        this.logger.info({ model_version: choice.version, seq: choice.seq }, 'switched to the shared model choice (a reload this process had missed)');
      } catch (err) {
        this.logger.error({ err, model_version: choice.version }, 'cannot switch to the shared model choice; keeping the previous model');
      }
    }
    this.appliedSeq = choice.seq;
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
      outcome.expected = Math.max(0, (await publish(this.redis, this.channel, JSON.stringify(message))) - 1);
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
      // The periodic check may have applied this choice already.
      if (message.seq > this.appliedSeq || this.registry.active()?.version !== message.version) {
        const outcome = await this.registry.reload(message.version);
        setActiveModel(this.metrics, outcome.active.version);
      }
      this.appliedSeq = Math.max(this.appliedSeq, message.seq);
    } catch (err) {
      ack.ok = false;
      ack.error = (err as Error).message;
      this.logger.error({ err, model_version: message.version }, 'reload broadcast failed here; keeping the previous model');
    }
    await publish(this.redis, this.ackChannel, JSON.stringify(ack)).catch(() => undefined);
  }
}
