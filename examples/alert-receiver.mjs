// A minimal alert webhook receiver for trying Vigil's alerting: prints each alert once (it drops a
// repeated Idempotency-Key, as a real receiver should) and answers 200.
//   node examples/alert-receiver.mjs [PORT]        (default 9000)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 9000);
const seen = new Set();
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const key = req.headers['idempotency-key'];
    res.end('ok');
    if (seen.has(key)) return console.log(`(duplicate ${key} dropped)`);
    seen.add(key);
    try {
      const a = JSON.parse(body);
      console.log(`${new Date().toISOString()}  ${a.title ?? a.text}\n  ${a.explanation ?? ''}\n  ${a.link ?? ''}`);
    } catch {
      console.log(body);
    }
  });
}).listen(port, '127.0.0.1', () => console.log(`alert receiver listening on http://127.0.0.1:${port}/`));
