// A session's messages are stored in the order they reached the gateway.
// Channels hand messages over without waiting for the one before to be
// stored (a Telegram poll's updates all at once, webhooks side by side), so
// the store can commit them as one group; but a message's preparation takes
// its own time (an attached file or a photo is downloaded first), and a
// "what is in this photo?" must not be stored, and answered, before the
// photo. Each message takes its place in its session's line when it
// arrives and hands its row to the store only after the one before it did
// (or was dropped). Sessions do not wait for each other.

/** one message's place in its session's line */
export interface Place {
  /** resolves once the message before it was handed to the store (undefined: nothing to wait for) */
  readonly turn: Promise<void> | undefined;
  /** this message was handed to the store, or will not be: the next one may go (more calls do nothing) */
  leave(): void;
}

export class InboundOrder {
  /** per session, the place of the last message to arrive, while it has not left */
  private readonly last = new Map<string, Promise<void>>();

  /** call when the message arrives, before anything is awaited */
  join(sessionKey: string): Place {
    const turn = this.last.get(sessionKey);
    let open!: () => void;
    const mine = new Promise<void>((resolve) => (open = resolve));
    this.last.set(sessionKey, mine);
    let left = false;
    return {
      turn,
      leave: () => {
        if (left) return;
        left = true;
        open();
        if (this.last.get(sessionKey) === mine) this.last.delete(sessionKey);
      },
    };
  }

  /** runs `fn` with a place in `sessionKey`'s line taken now (call before anything is awaited); the place is left when `fn` settles at the latest */
  async within<T>(sessionKey: string, fn: (place: Place) => Promise<T>): Promise<T> {
    const place = this.join(sessionKey);
    try {
      return await fn(place);
    } finally {
      place.leave();
    }
  }
}
