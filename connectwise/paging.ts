// The `Link` response header (RFC 8288) that ConnectWise uses for paging:
// `<https://host/.../apis/3.0/x?page=2&pageSize=25>; rel="next", <...>; rel="last"`.
// URLs may hold commas and semicolons, so the header is scanned, not split.

export interface LinkValue {
  url: string;
  rels: string[];
}

export function parseLinkHeader(header: string | undefined): LinkValue[] {
  const links: LinkValue[] = [];
  if (!header) return links;
  let i = 0;
  const skip = (chars: string) => {
    while (i < header.length && chars.includes(header[i])) i++;
  };
  while (i < header.length) {
    skip(" \t,");
    if (i >= header.length) break;
    if (header[i] !== "<") throw new Error(`malformed Link header at position ${i}: expected '<'`);
    const end = header.indexOf(">", i + 1);
    if (end < 0) throw new Error("malformed Link header: unterminated '<'");
    const url = header.slice(i + 1, end).trim();
    i = end + 1;
    const rels: string[] = [];
    // Parameters: ; name=token | ; name="quoted" ... up to the next top-level comma.
    for (;;) {
      skip(" \t");
      if (header[i] !== ";") break;
      i++;
      skip(" \t");
      const nameMatch = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+\*?/.exec(header.slice(i));
      if (!nameMatch) throw new Error(`malformed Link header at position ${i}: expected a parameter name`);
      const name = nameMatch[0].toLowerCase();
      i += nameMatch[0].length;
      skip(" \t");
      let value = "";
      if (header[i] === "=") {
        i++;
        skip(" \t");
        if (header[i] === '"') {
          i++;
          while (i < header.length && header[i] !== '"') {
            if (header[i] === "\\" && i + 1 < header.length) i++;
            value += header[i++];
          }
          if (header[i] !== '"') throw new Error("malformed Link header: unterminated quoted parameter");
          i++;
        } else {
          const token = /^[^;,\s]*/.exec(header.slice(i))![0];
          value = token;
          i += token.length;
        }
      }
      if (name === "rel") rels.push(...value.toLowerCase().split(/\s+/).filter(Boolean));
    }
    skip(" \t");
    if (i < header.length && header[i] !== ",") throw new Error(`malformed Link header at position ${i}: expected ','`);
    links.push({ url, rels });
  }
  return links;
}

/** The URL of the first link with relation `rel`, if any. */
export function linkFor(header: string | undefined, rel: string): string | undefined {
  return parseLinkHeader(header).find((link) => link.rels.includes(rel.toLowerCase()))?.url;
}

/**
 * The most pages `list` follows. At the API's 1000 per page that is a million objects; the
 * largest lists the provider reads (members, a role's settings) hold thousands at most, so a
 * chain this long is a server sending `next` forever, and it is stopped with an error instead of
 * looping (about 1000 requests, a few minutes at worst).
 */
export const MAX_PAGES = 1000;
