// Hostile YAML for the loader's tests, generated rather than stored so its size is visible here.

/** "Billion laughs": 9 levels of 9 aliases each, 9^9 (387 million) nodes once expanded. */
export function aliasBomb(indent = ''): string {
  const lines = [`${indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let i = 1; i <= 8; i++) lines.push(`${indent}a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}
