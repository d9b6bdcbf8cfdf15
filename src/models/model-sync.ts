import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connections.js';
import { closeRedis } from '../redis/connections.js';
import { publish, subscribe } from '../redis/pubsub.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { setActiveModel } from '../metrics/metrics.js';
import type { ModelRegistry } from './model-registry.js';
import { deploymentTag } from '../queues/shards.js';

interface ReloadMessage {
  requestId: string;
  origin: string;
  version: string;
}

interface AckMessage {
  requestId: string;
  process: string;
  version: string;
  ok: boolean;
  error?: string;
}

/** Persisted choice: which version a reload picked, and what the configuration said then. */
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
 * Carries model reloads to every process over Redis pub/sub. Each process swaps its own registry
 * snapshot and acknowledges, so the API can report how many processes switched.
 */
export class ModelSync {
  readonly processId = randomUUID();
  private subscriber: RedisClient | null = null;
  private readonly waiting = new Map<string, (ack: AckMessage) => void>();

  constructor(
    private readonly redis: RedisClient,
    /** Opens a connection of role `subscriber` (a Cluster one subscribes per shard). */
    private readonly openSubscriber: () => RedisClient,
    private readonly queuePrefix: string,
    private readonly registry: ModelRegistry,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

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
    const subscriber = this.subscriber;
    this.subscriber = null;
    if (subscriber) await closeRedis(subscriber);
  }

  /** Tells every other process to switch to `version` and waits (bounded) for their answers. */
  async broadcast(version: string, configured: string | undefined, timeoutMs = 5000): Promise<BroadcastOutcome> {
    const choice: SharedChoice = { version, configured: configured ?? null };
    await this.redis.set(this.choiceKey, JSON.stringify(choice));
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
      const message: ReloadMessage = { requestId, origin: this.processId, version };
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
      const outcome = await this.registry.reload(message.version);
      setActiveModel(this.metrics, outcome.active.version);
    } catch (err) {
      ack.ok = false;
      ack.error = (err as Error).message;
      this.logger.error({ err, model_version: message.version }, 'reload broadcast failed here; keeping the previous model');
    }
    await publish(this.redis, this.ackChannel, JSON.stringify(ack)).catch(() => undefined);
  }
}
