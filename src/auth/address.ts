// The key a caller's address is limited by (see throttle.ts), from CF-Connecting-IP, which Cloudflare's
// edge sets to the address the request came from: IPv4 whole, IPv6 by its /64 (what one subscriber
// usually gets, RFC 6177, so hopping within it buys nothing), IPv4-mapped IPv6 as the IPv4 address.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const GROUP = /^[0-9a-f]{1,4}$/

/**
 * The limit key of the address in `header`. Without the header (a call that did not come through
 * Cloudflare's edge: a service binding, a local test) every caller shares one key; text that is no
 * address is its own key.
 */
export function addressKey(header: string | undefined): string {
  const value = header?.trim().toLowerCase()
  if (!value) return 'none'
  if (ipv4(value)) return value
  const groups = ipv6Groups(value)
  if (!groups) return `other ${value.slice(0, 64)}`
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.')
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

function ipv4(text: string): number[] | null {
  const octets = IPV4.exec(text)?.slice(1).map(Number)
  return octets && octets.every((o) => o <= 255) ? octets : null
}

/** The eight 16-bit groups of an IPv6 address (one `::`, a trailing dotted IPv4 allowed), or null. */
function ipv6Groups(text: string): number[] | null {
  const halves = text.split('::')
  if (halves.length > 2) return null
  const pieces = halves.map((half) => (half === '' ? [] : half.split(':')))
  const last = pieces[pieces.length - 1]!
  const dotted = last.length > 0 ? ipv4(last[last.length - 1]!) : null
  if (dotted) {
    last.pop()
    last.push(
      ((dotted[0]! << 8) | dotted[1]!).toString(16),
      ((dotted[2]! << 8) | dotted[3]!).toString(16)
    )
  }
  if (!pieces.every((half) => half.every((group) => GROUP.test(group)))) return null
  const [head, tail = []] = pieces.map((half) => half.map((group) => parseInt(group, 16)))
  const missing = 8 - head!.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null
  return [...head!, ...Array<number>(missing).fill(0), ...tail]
}
