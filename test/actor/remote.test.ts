// Two procs joined by real channels (uWebSockets.js server + ws client over unix sockets):
// the runtime's senders and routers plug into the channels layer's MailboxClient/serveMailbox
// without glue code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcId } from '../../src/core/ids.js';
import { Actor, type Handlers, type Context, ActorRef, OncePortRef, Proc } from '../../src/actor/index.js';
import { DialMailboxRouter, UndeliverableMessageError, type MessageEnvelope } from '../../src/mailbox/index.js';
import { MailboxClient } from '../../src/mailbox/client.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import { serve, anyAddr, formatAddr } from '../../src/channel/index.js';
import { within } from './_helpers.js';

type EchoMsg = { type: 'echo'; text: string; reply: OncePortRef<string> } | { type: 'seq'; n: number };
class Echo extends Actor<void, EchoMsg> {
  static typeName = 'test::remote::Echo';
  seqs: number[] = [];
  readonly handlers: Handlers<EchoMsg> = {
    echo: (cx, m) => m.reply.send(cx, `echo: ${m.text}`),
    seq: (_cx, m) => {
      this.seqs.push(m.n);
    },
  };
}

type PokerMsg = { type: 'poke'; target: ActorRef<Echo> };
class Poker extends Actor<void, PokerMsg> {
  static typeName = 'test::remote::Poker';
  readonly handlers: Handlers<PokerMsg> = {
    poke: (cx: Context, m) => m.target.send(cx, { type: 'seq', n: 1 }),
  };
  override handleUndeliverable(cx: Context, env: MessageEnvelope): void | Promise<void> {
    return super.handleUndeliverable(cx, env);
  }
}

async function twoProcs() {
  const procs: Proc[] = [];
  const servers: Array<{ stop(): Promise<void> }> = [];
  const clients: MailboxClient[] = [];
  for (const name of ['a', 'b']) {
    const [addr, rx] = await serve(anyAddr('unix'));
    const router = new DialMailboxRouter({
      dialer: (a) => {
        const c = MailboxClient.dial(a, { deliveryTimeoutMs: 3000 });
        clients.push(c);
        return c;
      },
    });
    const proc = new Proc(ProcId.direct(formatAddr(addr), name), router);
    servers.push(serveMailbox(rx, proc, { log: () => {} }));
    procs.push(proc);
  }
  const close = async () => {
    for (const p of procs) await p.destroyAndWait(500);
    await Promise.all(clients.map((c) => c.close()));
    for (const s of servers) await s.stop();
  };
  return { a: procs[0]!, b: procs[1]!, close };
}

test('an ask crosses two procs over real channels and the reply comes back', async () => {
  const { a, b, close } = await twoProcs();
  try {
    const echo = await b.spawn('echo', Echo, undefined);
    const client = a.instance('client');
    const ref = echo.bind();
    assert.equal(await within(ref.ask(client, { type: 'echo', text: 'hi' }, { timeoutMs: 30_000 }), 30_000, 'remote ask'), 'echo: hi');
    for (let i = 0; i < 500; i++) ref.send(client, { type: 'seq', n: i });
    assert.equal(await within(ref.ask(client, { type: 'echo', text: 'sync' }, { timeoutMs: 30_000 }), 30_000), 'echo: sync');
    assert.deepEqual(
      echo.actor.seqs,
      Array.from({ length: 500 }, (_, i) => i),
      'per-sender FIFO across the channel',
    );
  } finally {
    await close();
  }
});

test('a message to a missing remote actor bounces back over the channel and fails the sender', async () => {
  const { a, b, close } = await twoProcs();
  try {
    const events: string[] = [];
    const failed = new Promise<void>((resolve) =>
      a.setSupervisionCoordinator((ev) => {
        events.push(String(ev));
        if (ev.status.kind === 'Failed' && ev.status.error.cause instanceof UndeliverableMessageError) resolve();
      }),
    );
    const poker = await a.spawn('poker', Poker, undefined);
    const ghost = b.id.actor('ghost', 0);
    poker.send({ type: 'poke', target: ActorRef.attest<Echo>(ghost) });
    await within(failed, 30_000, 'bounce');
    assert.match(
      events[0]!,
      new RegExp(`a message from ${poker.actorId.toString().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to .*ghost\\[0\\].* was undeliverable and returned`),
    );
  } finally {
    await close();
  }
});
