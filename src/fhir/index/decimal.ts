// Numbers as index rows: the value and the [lo, hi] range its written precision implies (R4
// search.html#number: 100 stands for [99.5, 100.5]). JSON loses trailing zeros, so a number has
// the precision of its shortest decimal form (1.50 arrives as 1.5 → [1.45, 1.55]). Exact decimal
// arithmetic (BigInt digits, one final rounding) keeps float noise out of lo and hi.

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i

export interface DecimalRange {
  v: number
  lo: number
  hi: number
}

export function decimalRange(value: unknown): DecimalRange | undefined {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined
    text = String(value)
  } else if (typeof value === 'string') text = value.trim()
  else return undefined
  const m = DECIMAL.exec(text)
  if (!m) return undefined
  const [, sign, int, frac = '', exp = '0'] = m
  // value = digits × 10^-scale, so the half unit of the last digit is 5 × 10^-(scale + 1).
  const digits = BigInt(int + frac)
  const e = -(frac.length - Number(exp) + 1)
  let lo = Number(`${digits * 10n - 5n}e${e}`)
  let hi = Number(`${digits * 10n + 5n}e${e}`)
  if (sign) [lo, hi] = [-hi, -lo]
  return { v: Number(text), lo, hi }
}
