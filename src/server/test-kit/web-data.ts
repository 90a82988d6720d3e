/**
 * Deterministic web-traffic-like documents for server tests: requests from a few hosts with a
 * daily rhythm, response codes, client IPs and URLs, and one incident (a burst of 404s from one
 * client scanning many URLs, and a spike in bytes on one host).
 */
export interface WebDoc {
  timestamp: number;
  host: string;
  response: string;
  clientip: string;
  url: string;
  bytes: number;
}

export const WEB_T0 = Date.UTC(2024, 2, 4);

export function webDocs(hours = 72, incidentHour = 60): WebDoc[] {
  let seed = 7;
  const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const docs: WebDoc[] = [];
  const hosts = ['web-a', 'web-b', 'web-c'];
  for (let m = 0; m < hours * 60; m++) {
    const t = WEB_T0 + m * 60_000;
    const hour = m / 60;
    const daily = 1 + 0.6 * Math.sin((2 * Math.PI * (hour % 24)) / 24);
    const n = Math.max(1, Math.round(4 * daily + rand() * 2));
    for (let k = 0; k < n; k++) {
      const host = hosts[Math.floor(rand() * 3)];
      docs.push({
        timestamp: t + Math.floor((k * 60_000) / n),
        host,
        response: rand() < 0.9 ? '200' : rand() < 0.5 ? '404' : '503',
        clientip: `10.0.0.${1 + Math.floor(rand() * 20)}`,
        url: `/page/${Math.floor(rand() * 30)}`,
        bytes: Math.round(5000 + 1000 * daily + rand() * 500 + (host === 'web-b' && Math.floor(hour) === incidentHour ? 40_000 : 0)),
      });
    }
    if (Math.floor(hour) === incidentHour) {
      for (let k = 0; k < 25; k++) {
        docs.push({ timestamp: t + 30_000 + k, host: 'web-a', response: '404', clientip: '30.156.16.164', url: `/scan/${m}-${k}`, bytes: 300 });
      }
    }
  }
  docs.sort((a, b) => a.timestamp - b.timestamp);
  return docs;
}

export const ndjsonOf = (docs: object[]): string => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
