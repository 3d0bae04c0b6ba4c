/**
 * netrx/testing: the kit netrx's own tests use, exported so that users can
 * test their code the same way: a virtual clock that moves only when told to
 * (no sleeps, no flakes), and, as the modules arrive, in-memory adapters, port
 * pairs and engine pairs. No Node APIs here.
 */
export { VirtualClock } from './virtual-clock.js';
