/**
 * Everything hookd's egress rules depend on, built once from the configuration: the address policy
 * (`HOOKD_ALLOWED_NETWORKS`), the allowed ports (`HOOKD_ALLOWED_PORTS`), whether plain http is refused
 * (`HOOKD_REQUIRE_HTTPS`) and the name resolver. Registration, the delivery worker and the outbound agent all judge
 * targets with this one object, so a URL accepted when saved is judged by the same rules at every connect.
 */
import { createNetworkPolicy, type NetworkPolicy } from "./network-policy.ts";
import type { PortRange } from "./port-list.ts";
import { type AddressResolver, checkUrlTarget, type HostResolver } from "./target-check.ts";
import { checkUrlForm, type UrlFormPolicy } from "./url-form.ts";

export interface EgressPolicy extends UrlFormPolicy {
  readonly network: NetworkPolicy;
  /**
   * Replaces the system resolver (dns.lookup) for both the registration check and the connect-time lookup. Only
   * tests set it (to simulate DNS rebinding); every address it returns is still judged by `network`.
   */
  readonly resolver?: AddressResolver;
}

export function createEgressPolicy(opts: {
  allowedNetworks: readonly string[];
  allowedPorts: readonly PortRange[];
  requireHttps: boolean;
  resolver?: AddressResolver | undefined;
}): EgressPolicy {
  return {
    network: createNetworkPolicy({ allowedNetworks: opts.allowedNetworks }),
    allowedPorts: opts.allowedPorts,
    requireHttps: opts.requireHttps,
    ...(opts.resolver ? { resolver: opts.resolver } : {}),
  };
}

/**
 * The registration-time check of an endpoint URL: its form, then its host (an IP literal, or every address the name
 * resolves to). The delivery path repeats both: the form before each request, the addresses at connect.
 *
 * @throws EgressBlockedError when refused, DnsLookupError when the name does not resolve
 */
export async function checkEndpointUrl(raw: string, policy: EgressPolicy): Promise<URL> {
  const url = checkUrlForm(raw, policy);
  await checkUrlTarget(url.href, policy.network, hostResolverOf(policy));
  return url;
}

function hostResolverOf(policy: EgressPolicy): HostResolver | undefined {
  const resolver = policy.resolver;
  if (resolver === undefined) return undefined;
  return async (host) => (await resolver(host, {})).map((a) => a.address);
}
