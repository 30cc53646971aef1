/**
 * A small embedded **core NATS** server (no JetStream, no auth, no TLS, no clustering) for machines
 * without a NATS installation. The official `nats` client connects to it over TCP like to a real
 * `nats-server`. Protocol: https://docs.nats.io/reference/reference-protocols/nats-protocol
 *
 * Supported: INFO, CONNECT (verbose `+OK`, echo, headers, no_responders), PING/PONG, PUB, HPUB, SUB
 * (with queue groups), UNSUB (with max_msgs), MSG/HMSG delivery, `*` and `>` wildcards, the 503
 * no-responders status for requests nobody listens to, payload and control-line limits, and slow
 * consumers (a client that stops reading is disconnected once 64 MiB are pending for it).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface EmbeddedNatsServerOptions {
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** TCP port; 0 (the default) picks a free ephemeral port. */
  port?: number;
  /** Largest message (headers + payload) accepted, in bytes (default 1 MiB). */
  maxPayload?: number;
}

export interface EmbeddedNatsServerStats {
  /** Clients connected now. */
  connections: number;
  /** Clients accepted since start. */
  totalConnections: number;
  /** Subscriptions held now, over all clients. */
  subscriptions: number;
  /** Messages published by clients (PUB/HPUB), and their bytes (headers + payload). */
  inMsgs: number;
  inBytes: number;
  /** Messages delivered to subscriptions (MSG/HMSG), and their bytes. */
  outMsgs: number;
  outBytes: number;
  /** Clients disconnected because they did not read their messages. */
  slowConsumers: number;
}

const VERSION = '2.10.0';
const MAX_CONTROL_LINE = 4096;
const MAX_PENDING_BYTES = 64 * 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const PONG = Buffer.from('PONG\r\n');
const OK = Buffer.from('+OK\r\n');
/** The status-only header a server sends to a requester when no one is subscribed (16 bytes). */
const NO_RESPONDERS = Buffer.from('NATS/1.0 503\r\n\r\n');

interface Subscription {
  readonly client: Client;
  readonly sid: string;
  readonly subject: string;
  /** `subject` split on `.`, once, at SUB time. */
  readonly tokens: readonly string[];
  readonly queue: string | undefined;
  /** Auto-unsubscribe after this many deliveries (UNSUB with max_msgs). */
  max: number | undefined;
  delivered: number;
}

/** A message whose control line is parsed and whose payload is awaited. */
interface PendingPublish {
  readonly subject: string;
  readonly reply: string | undefined;
  /** Header bytes at the start of the payload; -1 for PUB (no headers). */
  readonly headerBytes: number;
  readonly totalBytes: number;
}

function isValidSubscribeSubject(subject: string): boolean {
  const tokens = subject.split('.');
  return tokens.every((t, i) => t.length > 0 && (t !== '>' || i === tokens.length - 1));
}

function isValidPublishSubject(tokens: readonly string[]): boolean {
  return tokens.every((t) => t.length > 0 && t !== '*' && t !== '>');
}

/** Parses a non-negative decimal byte count; NaN when it is not one. */
function parseSize(s: string | undefined): number {
  return s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : Number.NaN;
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  readonly subs: Set<Subscription>;
}

const newNode = (): TreeNode => ({ children: new Map(), subs: new Set() });

/**
 * Subscriptions indexed by subject token (a trie whose edges are tokens, `*` and `>` included), so a
 * publish walks only the branches its subject can match instead of testing every subscription.
 */
class SubjectTree {
  private readonly root = newNode();
  size = 0;

  insert(sub: Subscription): void {
    let node = this.root;
    for (const token of sub.tokens) {
      let next = node.children.get(token);
      if (next === undefined) {
        next = newNode();
        node.children.set(token, next);
      }
      node = next;
    }
    node.subs.add(sub);
    this.size++;
  }

  remove(sub: Subscription): void {
    if (this.removeFrom(this.root, sub, 0)) this.size--;
  }

  /** Subscriptions matching a literal subject (tokens without wildcards). */
  match(tokens: readonly string[]): Subscription[] {
    const out: Subscription[] = [];
    this.collect(this.root, tokens, 0, out);
    return out;
  }

  private removeFrom(node: TreeNode, sub: Subscription, depth: number): boolean {
    const token = sub.tokens[depth];
    if (token === undefined) return node.subs.delete(sub);
    const next = node.children.get(token);
    if (next === undefined) return false;
    const removed = this.removeFrom(next, sub, depth + 1);
    if (next.subs.size === 0 && next.children.size === 0) node.children.delete(token); // prune
    return removed;
  }

  private collect(node: TreeNode, tokens: readonly string[], depth: number, out: Subscription[]): void {
    const token = tokens[depth];
    if (token === undefined) {
      for (const sub of node.subs) out.push(sub);
      return;
    }
    const rest = node.children.get('>'); // one or more remaining tokens
    if (rest !== undefined) for (const sub of rest.subs) out.push(sub);
    const literal = node.children.get(token);
    if (literal !== undefined) this.collect(literal, tokens, depth + 1, out);
    const one = node.children.get('*');
    if (one !== undefined) this.collect(one, tokens, depth + 1, out);
  }
}

/** Routing state shared by all connections of one server. */
class Broker {
  readonly tree = new SubjectTree();
  readonly clients = new Set<Client>();
  readonly stats: EmbeddedNatsServerStats = {
    connections: 0,
    totalConnections: 0,
    subscriptions: 0,
    inMsgs: 0,
    inBytes: 0,
    outMsgs: 0,
    outBytes: 0,
    slowConsumers: 0,
  };

  constructor(readonly maxPayload: number) {}

  subscribe(sub: Subscription): void {
    this.tree.insert(sub);
    sub.client.subs.set(sub.sid, sub);
  }

  unsubscribe(sub: Subscription): void {
    if (sub.client.subs.get(sub.sid) !== sub) return;
    sub.client.subs.delete(sub.sid);
    this.tree.remove(sub);
  }

  removeClient(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const sub of [...client.subs.values()]) this.unsubscribe(sub);
  }

  publish(from: Client, msg: PendingPublish, data: Buffer): void {
    this.stats.inMsgs++;
    this.stats.inBytes += data.length;
    const tokens = msg.subject.split('.');
    if (!isValidPublishSubject(tokens)) {
      from.sendError('Invalid Publish Subject', false);
      return;
    }
    const matches = this.tree.match(tokens);
    if (matches.length === 0) {
      if (msg.reply !== undefined && from.headers && from.noResponders) this.sendNoResponders(from, msg.reply);
      return;
    }
    let groups: Map<string, Subscription[]> | undefined;
    for (const sub of matches) {
      if (!from.echo && sub.client === from) continue;
      if (sub.queue === undefined) {
        this.deliver(sub, msg, data);
      } else {
        groups ??= new Map();
        const members = groups.get(sub.queue);
        if (members === undefined) groups.set(sub.queue, [sub]);
        else members.push(sub);
      }
    }
    if (groups !== undefined) {
      for (const members of groups.values()) {
        const chosen = members[Math.floor(Math.random() * members.length)];
        if (chosen !== undefined) this.deliver(chosen, msg, data);
      }
    }
  }

  private deliver(sub: Subscription, msg: PendingPublish, data: Buffer): void {
    const client = sub.client;
    if (client.closed) return;
    sub.delivered++;
    const reply = msg.reply === undefined ? '' : ` ${msg.reply}`;
    let line: string;
    let payload = data;
    if (msg.headerBytes >= 0 && client.headers) {
      line = `HMSG ${msg.subject} ${sub.sid}${reply} ${msg.headerBytes} ${data.length}\r\n`;
    } else {
      // A client that did not announce header support gets the payload without the headers.
      if (msg.headerBytes > 0) payload = data.subarray(msg.headerBytes);
      line = `MSG ${msg.subject} ${sub.sid}${reply} ${payload.length}\r\n`;
    }
    this.stats.outMsgs++;
    this.stats.outBytes += payload.length;
    client.send(Buffer.from(line, 'latin1'), payload, CRLF);
    if (sub.max !== undefined && sub.delivered >= sub.max) this.unsubscribe(sub);
  }

  /** Tells a requester at once that nobody listens, as nats-server does for clients with `no_responders`. */
  private sendNoResponders(client: Client, reply: string): void {
    const tokens = reply.split('.');
    if (!isValidPublishSubject(tokens)) return;
    const own = this.tree.match(tokens).find((s) => s.client === client);
    if (own === undefined) return;
    const n = NO_RESPONDERS.length;
    client.send(Buffer.from(`HMSG ${reply} ${own.sid} ${n} ${n}\r\n`, 'latin1'), NO_RESPONDERS, CRLF);
  }
}

/** One client connection: an incremental protocol parser plus a batched writer. */
class Client {
  readonly subs = new Map<string, Subscription>();
  closed = false;
  verbose = false;
  headers = false;
  noResponders = false;
  echo = true;

  /** Received bytes not parsed yet (a partial control line, or a payload still arriving). */
  private unparsed: Buffer[] = [];
  private unparsedBytes = 0;
  private awaiting: PendingPublish | undefined;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly broker: Broker,
    private readonly socket: Socket,
    info: Record<string, unknown>,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // resets etc.: 'close' follows and does the clean-up
    socket.on('close', () => {
      this.closed = true;
      this.broker.removeClient(this);
    });
    this.send(Buffer.from(`INFO ${JSON.stringify(info)}\r\n`));
  }

  send(...parts: Buffer[]): void {
    if (this.closed) return;
    for (const part of parts) {
      this.out.push(part);
      this.outBytes += part.length;
    }
    if (this.outBytes + this.socket.writableLength > MAX_PENDING_BYTES) {
      this.broker.stats.slowConsumers++;
      this.destroy();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Everything produced while handling the current chunk leaves in one write.
      process.nextTick(() => this.flush());
    }
  }

  /** `-ERR '<message>'`; a fatal error also closes the connection (after the error is written). */
  sendError(message: string, fatal: boolean): void {
    this.send(Buffer.from(`-ERR '${message}'\r\n`));
    if (!fatal) return;
    this.flush();
    this.closed = true;
    this.broker.removeClient(this);
    this.socket.end();
    // Do not wait forever for a peer that neither reads nor closes.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.out = [];
    this.outBytes = 0;
    this.broker.removeClient(this);
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outBytes === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    this.socket.write(data);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.unparsed.push(chunk);
    this.unparsedBytes += chunk.length;
    // A large payload arriving in many chunks is joined once, when it is complete.
    if (this.awaiting !== undefined && this.unparsedBytes < this.awaiting.totalBytes + 2) return;
    const buf = this.unparsed.length === 1 ? this.unparsed[0]! : Buffer.concat(this.unparsed, this.unparsedBytes);
    this.unparsed = [];
    this.unparsedBytes = 0;
    let pos = 0;
    while (!this.closed && pos < buf.length) {
      const pending = this.awaiting;
      if (pending !== undefined) {
        const end = pos + pending.totalBytes;
        if (buf.length < end + 2) break;
        if (buf[end] !== 13 || buf[end + 1] !== 10) {
          this.sendError('Unknown Protocol Operation', true); // payload longer than announced
          return;
        }
        this.awaiting = undefined;
        this.broker.publish(this, pending, buf.subarray(pos, end));
        if (this.verbose) this.send(OK);
        pos = end + 2;
        continue;
      }
      const newline = buf.indexOf(10, pos);
      const limit = this.controlLineLimit(buf, pos);
      if (newline < 0) {
        if (buf.length - pos > limit) this.sendError('Maximum Control Line Exceeded', true);
        break;
      }
      if (newline - pos > limit) {
        this.sendError('Maximum Control Line Exceeded', true);
        return;
      }
      const lineEnd = newline > pos && buf[newline - 1] === 13 ? newline - 1 : newline;
      // latin1 maps bytes 1:1 to chars, so subjects are echoed back byte-exact.
      const line = buf.toString('latin1', pos, lineEnd);
      pos = newline + 1;
      this.processLine(line);
    }
    if (!this.closed && pos < buf.length) {
      this.unparsed.push(buf.subarray(pos));
      this.unparsedBytes = buf.length - pos;
    }
  }

  /** CONNECT may carry long credentials; other control lines are capped like nats-server (4 KiB). */
  private controlLineLimit(buf: Buffer, pos: number): number {
    const head = buf.toString('latin1', pos, Math.min(buf.length, pos + 8)).toUpperCase();
    return head.startsWith('CONNECT') ? Math.max(MAX_CONTROL_LINE, this.broker.maxPayload) : MAX_CONTROL_LINE;
  }

  private processLine(line: string): void {
    const space = line.search(/[ \t]/);
    const op = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const rest = space < 0 ? '' : line.slice(space + 1).trim();
    const args = rest === '' ? [] : rest.split(/[ \t]+/);
    switch (op) {
      case 'PUB':
      case 'HPUB':
        this.processPublish(op === 'HPUB', args);
        return;
      case 'SUB':
        this.processSubscribe(args);
        return;
      case 'UNSUB':
        this.processUnsubscribe(args);
        return;
      case 'PING':
        this.send(PONG);
        return;
      case 'PONG':
        return;
      case 'CONNECT':
        this.processConnect(rest);
        return;
      default:
        this.sendError('Unknown Protocol Operation', true);
    }
  }

  private processConnect(json: string): void {
    let options: unknown;
    try {
      options = JSON.parse(Buffer.from(json, 'latin1').toString('utf8'));
    } catch {
      options = undefined;
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      this.sendError('Unknown Protocol Operation', true);
      return;
    }
    const o = options as Record<string, unknown>;
    this.verbose = o.verbose === true;
    this.headers = o.headers === true;
    this.noResponders = o.no_responders === true;
    this.echo = o.echo !== false;
    if (this.verbose) this.send(OK);
  }

  /** `PUB <subject> [reply] <#bytes>` or `HPUB <subject> [reply] <#header bytes> <#total bytes>`. */
  private processPublish(withHeaders: boolean, args: string[]): void {
    const sizes = withHeaders ? 2 : 1;
    if (args.length !== sizes + 1 && args.length !== sizes + 2) {
      this.sendError('Unknown Protocol Operation', true);
      return;
    }
    const subject = args[0]!;
    const reply = args.length === sizes + 2 ? args[1] : undefined;
    const totalBytes = parseSize(args[args.length - 1]);
    const headerBytes = withHeaders ? parseSize(args[args.length - 2]) : -1;
    if (Number.isNaN(totalBytes) || Number.isNaN(headerBytes) || headerBytes > totalBytes) {
      this.sendError('Unknown Protocol Operation', true);
      return;
    }
    if (totalBytes > this.broker.maxPayload) {
      this.sendError('Maximum Payload Violation', true);
      return;
    }
    this.awaiting = { subject, reply, headerBytes, totalBytes };
  }

  /** `SUB <subject> [queue group] <sid>`. */
  private processSubscribe(args: string[]): void {
    if (args.length !== 2 && args.length !== 3) {
      this.sendError('Unknown Protocol Operation', true);
      return;
    }
    const subject = args[0]!;
    const sid = args[args.length - 1]!;
    if (!isValidSubscribeSubject(subject)) {
      this.sendError('Invalid Subject', false);
      return;
    }
    // A second SUB with a sid already in use is ignored, as by nats-server.
    if (!this.subs.has(sid)) {
      const queue = args.length === 3 ? args[1] : undefined;
      this.broker.subscribe({ client: this, sid, subject, tokens: subject.split('.'), queue, max: undefined, delivered: 0 });
    }
    if (this.verbose) this.send(OK);
  }

  /** `UNSUB <sid> [max_msgs]`: remove now, or after max_msgs deliveries in total. */
  private processUnsubscribe(args: string[]): void {
    const max = args.length === 2 ? parseSize(args[1]) : undefined;
    if ((args.length !== 1 && args.length !== 2) || (max !== undefined && Number.isNaN(max))) {
      this.sendError('Unknown Protocol Operation', true);
      return;
    }
    const sub = this.subs.get(args[0]!);
    if (sub !== undefined) {
      if (max !== undefined && max > sub.delivered) sub.max = max;
      else this.broker.unsubscribe(sub);
    }
    if (this.verbose) this.send(OK);
  }
}

/**
 * An in-process core NATS server listening on TCP. Start with `EmbeddedNatsServer.start()`, connect
 * the `nats` client to `server.url`, and `close()` it when done (it drops every client).
 */
export class EmbeddedNatsServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  private readonly serverId = `N${randomBytes(27).toString('hex').toUpperCase()}`;
  private nextClientId = 1;
  /** Every open socket, including clients closed after a protocol error that are still flushing. */
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly broker: Broker,
    host: string,
    port: number,
  ) {
    this.host = host;
    this.port = port;
    this.url = `nats://${host.includes(':') ? `[${host}]` : host}:${port}`;
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: EmbeddedNatsServerOptions = {}): Promise<EmbeddedNatsServer> {
    const host = options.host ?? '127.0.0.1';
    const maxPayload = options.maxPayload ?? 1024 * 1024;
    if (!Number.isInteger(maxPayload) || maxPayload <= 0) throw new RangeError(`maxPayload must be a positive integer, got ${maxPayload}`);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {}); // after listening, errors concern single accepts
    const { port } = server.address() as AddressInfo;
    return new EmbeddedNatsServer(server, new Broker(maxPayload), host, port);
  }

  stats(): EmbeddedNatsServerStats {
    const s = this.broker.stats;
    return { ...s, connections: this.broker.clients.size, subscriptions: this.broker.tree.size };
  }

  /** Stops listening and closes every client connection. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const client of [...this.broker.clients]) client.destroy();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const info = {
      server_id: this.serverId,
      server_name: 'lrsweep-embedded',
      version: VERSION,
      proto: 1,
      go: 'embedded',
      host: this.host,
      port: this.port,
      headers: true,
      max_payload: this.broker.maxPayload,
      client_id: this.nextClientId++,
      client_ip: socket.remoteAddress ?? '',
    };
    const client = new Client(this.broker, socket, info);
    this.broker.clients.add(client);
    this.broker.stats.totalConnections++;
  }
}
