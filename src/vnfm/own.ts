// Look-ups by keys a client chose (flavour, level, aspect, user and client ids) must see only the
// object's own entries: `flavours["constructor"]` is otherwise Object's constructor, accepted as a
// flavour and failing later as a 500.

export function own<T>(o: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Sets a key on a plain object as data, "__proto__" included (assignment would swap its prototype). */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}
