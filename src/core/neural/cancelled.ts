/** The error a cancelled training, queue wait or historical run ends with. */
export class CancelledError extends Error {
  constructor(message = 'training was cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}
