// The open exchanges of a guest-side channel, by id: the worker's channel and
// the caller-thread one keep them the same way.
export class Exchanges {
  #receivers = new Map(); // exchange id → function(message)
  #nextId = 1;

  /** Registers the receiver of one exchange's messages; returns the exchange's id. */
  open(receive) {
    const id = this.#nextId++;
    this.#receivers.set(id, receive);
    return id;
  }

  /** Forgets an exchange; messages still on their way for it are dropped. */
  close(id) {
    this.#receivers.delete(id);
  }

  /** Hands a message to its exchange's receiver, if the exchange is still open. */
  deliver = (m) => this.#receivers.get(m.id)?.(m);

  /** Forgets every exchange; says whether any was open. */
  clear() {
    const any = this.#receivers.size > 0;
    this.#receivers.clear();
    return any;
  }
}
