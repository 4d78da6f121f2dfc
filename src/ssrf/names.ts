// Host names that only ever mean something inside the gateway's own network.

// Suffixes that only resolve inside some private network: those reserved for local or private
// use (RFC 6761, 6762, 8375, 2606), the conventional private-cloud `.internal` (GCP
// metadata.google.internal, AWS/Azure internal DNS), cluster and service-discovery domains
// (Kubernetes `<svc>.<ns>.svc[.cluster.local]`, `.pod`, Consul), reverse-lookup names under
// `.arpa`, and the names ICANN withheld because private networks use them (`.corp`, `.home`,
// `.lan`, `.intranet`, `.private`, `.mail`).
const PRIVATE_SUFFIXES = [
  "localhost", "localdomain", "local", "internal", "arpa", "test", "invalid", "example",
  "svc", "pod", "cluster", "cluster.local", "consul",
  "corp", "home", "lan", "intranet", "private", "mail",
];

/** Reason a host name is internal-only, or null. `name` is lower-case and without trailing dots. */
export function classifyHostname(name: string): string | null {
  if (name === "") return "empty host is not allowed";
  if (name.split(".").some((label) => label === "")) return `malformed host name ${name} is not allowed`;
  for (const suffix of PRIVATE_SUFFIXES) {
    if (name === suffix || name.endsWith(`.${suffix}`)) return `internal host name ${name} is not allowed`;
  }
  // Single-label names resolve through the resolver's search domains, i.e. to internal hosts
  // (`redis`, `metadata`, `kubernetes`).
  if (!name.includes(".")) return `single-label host name ${name} is not allowed`;
  return null;
}
