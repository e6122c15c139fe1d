// Errors quote what they were given (a key, a file name, a path) so the reader can find it; a
// hostile input makes that quote megabytes long. Every echoed value passes through here first.

/** Longest echoed value kept whole, in UTF-8 bytes; longer ones keep their start and their size. */
export const ECHO_MAX_BYTES = 256;

/** The value itself when short; otherwise its start and "... (N bytes)" with its full UTF-8 size. */
export function clip(value: string, max = ECHO_MAX_BYTES): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings skip the byte count.
  if (value.length * 3 <= max) return value;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= max) return value;
  let keep = Buffer.from(value.slice(0, max), 'utf8').subarray(0, max).toString('utf8');
  // A cut inside a multi-byte sequence decodes to U+FFFD: drop it rather than invent a character.
  keep = keep.replace(/\uFFFD$/, '');
  return `${keep}... (${bytes} bytes)`;
}

/**
 * Template tag for error messages: every interpolated value is clipped, the message's own text
 * is not, so the reason at the end of a message survives however long the echoed input was.
 */
export function echo(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  values.forEach((v, i) => {
    out += clip(String(v)) + strings[i + 1];
  });
  return out;
}

/** Bytes that are not valid text, named by their hex (clipped like any echo). */
export function hexBytes(raw: Uint8Array, max = ECHO_MAX_BYTES): string {
  const hex = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
  return hex.length <= max ? hex : `${hex.slice(0, max)}... (${raw.byteLength} bytes)`;
}

/** Longest message (UTF-8 bytes) an error that quotes client input may carry as a whole. */
export const MESSAGE_MAX_BYTES = 2048;

/**
 * A whole message built elsewhere from client input (a parser's or a schema validator's wording,
 * a URL path) when its echoed parts cannot be tagged one by one: every run without whitespace
 * longer than ECHO_MAX_BYTES is clipped like an echo, then the message as a whole.
 */
export function clipMessage(message: string, max = MESSAGE_MAX_BYTES): string {
  return clip(clipRuns(message), max);
}

/** Only the whitespace-free runs clipped: for messages that carry long text of our own (usage). */
export function clipRuns(message: string): string {
  if (message.length <= ECHO_MAX_BYTES) return message;
  return message.replace(new RegExp(`\\S{${ECHO_MAX_BYTES + 1},}`, 'g'), (run) => clip(run));
}
