/** Absolute links to the resources an event names (PUBLIC_BASE_URL), so receivers fetch what they need. */
export function eventLinks(baseUrl: string, data: Record<string, unknown>): Record<string, string> {
  const base = baseUrl.replace(/\/+$/, '');
  const links: Record<string, string> = {};
  if (typeof data['job_id'] === 'string') links['job'] = `${base}/v1/jobs/${data['job_id']}`;
  if (typeof data['recording_id'] === 'string') {
    links['recording'] = `${base}/v1/recordings/${data['recording_id']}`;
    links['summary'] = `${base}/v1/recordings/${data['recording_id']}/summary`;
  }
  if (typeof data['device_id'] === 'string' && typeof data['date'] === 'string') {
    const next = new Date(`${data['date']}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    links['nights'] = `${base}/v1/devices/${data['device_id']}/nights?from=${data['date']}&to=${next.toISOString().slice(0, 10)}`;
  }
  return links;
}

/** The JSON body of one delivery: the event, its ids and links; never health data. */
export function deliveryBody(baseUrl: string, event: { id: string; type: string; created_at: Date; data: unknown }): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  return JSON.stringify({ id: event.id, type: event.type, created_at: event.created_at.toISOString(), data, links: eventLinks(baseUrl, data) });
}
