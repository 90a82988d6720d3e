// Writes two weeks of synthetic web-server logs as NDJSON (the shape of Kibana's sample web logs,
// for the README's walk-through of Elastic's anomaly-detection tutorial): about 30 000 requests
// with a daily rhythm, and three incidents — a four-hour drop in traffic (day 10), a burst of 404s
// from one client scanning hundreds of URLs (day 11), and a 503 storm (day 12).
// Usage: node docs/tutorial/make-web-logs.mjs > web-logs.ndjson
let seed = 20240301;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const T0 = Date.UTC(2024, 2, 1);
const clients = Array.from({ length: 40 }, (_, i) => `10.1.${i % 7}.${10 + i}`);
const out = [];
for (let m = 0; m < 14 * 24 * 60; m++) {
  const t = T0 + m * 60_000;
  const day = Math.floor(m / 1440);
  const hour = (m / 60) % 24;
  let rate = 1.5 + 1.2 * Math.sin((2 * Math.PI * (hour - 8)) / 24);
  if (day === 10 && hour >= 13 && hour < 17) rate *= 0.08; // traffic drop
  const n = Math.floor(rate + rand() * 2);
  for (let k = 0; k < n; k++) {
    let response = rand() < 0.92 ? '200' : rand() < 0.6 ? '404' : '503';
    if (day === 12 && hour >= 20 && hour < 21 && rand() < 0.7) response = '503'; // 503 storm
    out.push({ timestamp: t + Math.floor(rand() * 60_000), clientip: clients[Math.floor(rand() * clients.length)], response, url: `/articles/${Math.floor(rand() * 60)}`, bytes: Math.round(4000 + rand() * 3000) });
  }
  if (day === 11 && hour >= 9 && hour < 10) {
    for (let k = 0; k < 6; k++) out.push({ timestamp: t + k * 9000, clientip: '30.156.16.164', response: '404', url: `/admin/${m}/${k}.php`, bytes: 120 });
  }
}
out.sort((a, b) => a.timestamp - b.timestamp);
process.stdout.write(out.map((d) => JSON.stringify(d)).join('\n') + '\n');
