// The acknowledgements of one exchange's request body, whichever client sends
// it (http-host.js's Transfer once the bytes are on the socket,
// fetch-transfer.js once it has copied them): those of one turn of the event
// loop go to the guest as one ACK, with the buffers the bytes came in, for
// reuse.
import { MESSAGE } from '../shared/protocol.js';

export class RequestAcks {
  #id;
  #outbox;
  #isOver;
  #n = 0; // bytes taken, not yet reported
  #buffers = []; // and the buffers they came in
  #bodyEnded = false;
  #sendNow = () => this.#send();

  /** `isOver()`: whether the exchange has ended (then nothing more is reported). */
  constructor(id, outbox, isOver) {
    this.#id = id;
    this.#outbox = outbox;
    this.#isOver = isOver;
  }

  /** `n` bytes that came in `buffer` are taken: reported at the end of this turn. */
  add(n, buffer) {
    if (this.#n === 0) this.#outbox.beforeSend(this.#sendNow);
    this.#n += n;
    this.#buffers.push(buffer);
  }

  /** The guest sent the whole body. */
  bodyEnded() {
    this.#bodyEnded = true;
  }

  #send() {
    const buffers = this.#buffers;
    this.#buffers = [];
    // Once the body is complete the guest waits for the response, not for
    // acks: they only return buffers, and need not wake it.
    if (!this.#isOver()) this.#outbox.post({ id: this.#id, type: MESSAGE.ACK, n: this.#n, buffers }, buffers, this.#bodyEnded);
    this.#n = 0;
  }
}
