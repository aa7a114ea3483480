// Preloaded into arcadia processes by the security tests (NODE_OPTIONS=--import ...): any attempt to open a TCP
// connection to anything but the loopback addresses the tests use is stopped before a packet leaves, and the process
// exits 99 saying where it tried to go. Every socket (plain, TLS, undici's fetch) connects through
// net.Socket.prototype.connect, so patching it covers them all. NO_EGRESS_ALLOW overrides the allowed hosts.
import net from 'node:net';

const allowed = new Set((process.env.NO_EGRESS_ALLOW ?? '127.0.0.1,localhost,::1').split(','));
const connect = net.Socket.prototype.connect;

function targetOf(args) {
  let first = args[0];
  // net.connect() passes its normalized [options, callback] array as the single argument.
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object')
    return first.path !== undefined ? null : String(first.host ?? 'localhost');
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))
    return typeof args[1] === 'string' ? args[1] : 'localhost';
  return null; // a unix socket path
}

net.Socket.prototype.connect = function guardedConnect(...args) {
  const host = targetOf(args);
  if (host !== null && !allowed.has(host.replace(/^\[|\]$/g, ''))) {
    process.stderr.write(`NO-EGRESS: blocked a connection to ${host}\n`);
    process.exit(99);
  }
  return connect.apply(this, args);
};
