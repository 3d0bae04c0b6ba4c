/**
 * netrx/port: ports with asynchronous buffer I/O and login scripts (seed 000,
 * `RasReceiveBuffer`).
 *
 * Contract, as built by the ports issue: `receiveBuffer` posts a receive on a
 * port with a buffer from the port's `BufferPool` and returns at once; it
 * completes on data, timeout or disconnect; `retrieveBuffer` collects the data
 * or the RAS error (`ERROR_PORT_DISCONNECTED`, 619). Login scripts (the `chat`
 * language) run on the port before the link protocol. Built on netrx/receive.
 *
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
