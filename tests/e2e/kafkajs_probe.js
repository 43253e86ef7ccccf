// Reads every given topic from the beginning through one kafkajs consumer group; prints counts.
// Usage: node kafkajs_probe.js BROKER GROUP SECONDS TOPIC...
const { Kafka, logLevel } = require('kafkajs');
const [broker, group, seconds, ...topics] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'newsflow-probe', brokers: [broker], logLevel: logLevel.NOTHING });
(async () => {
  const started = Date.now();
  // The dev broker holds a group's first join for half the session timeout (kafkajs' default 30 s).
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 1000 });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  const counts = Object.fromEntries(topics.map((t) => [t, 0]));
  let joined = null;
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = (Date.now() - started) / 1000; });
  await consumer.run({ eachMessage: async ({ topic }) => { counts[topic] += 1; } });
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  await consumer.disconnect();
  console.log(JSON.stringify({ counts, joined_s: joined }));
})().catch((error) => { console.error(String(error)); process.exit(1); });
