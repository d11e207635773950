// JSON text as LogSphere writes it: JSON.stringify, with DEL, the C1 controls (U+0080-U+009F,
// which some terminals act on) and the Unicode line separators escaped as well. It is the same
// JSON value, and no line of the log carries a control character raw (syslog relays such as
// rsyslog would rewrite those bytes on the way).

const unsafe = /[\u007f-\u009f\u2028\u2029]/;
const unsafeAll = new RegExp(unsafe.source, 'g');

export function jsonText(value: unknown): string {
  const text = JSON.stringify(value);
  return unsafe.test(text) ? text.replace(unsafeAll, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}
