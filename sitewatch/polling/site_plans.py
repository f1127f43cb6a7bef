"""From configuration to SNMP ``Target``s: credentials joined, secrets revealed, defaults applied."""

from __future__ import annotations

from sitewatch.config.schema import Config, Site, SnmpV1V2Credential, SnmpV3Credential
from sitewatch.polling.poller import SitePlan, TargetPlan
from sitewatch.snmp.client import Target, UsmAuth
from sitewatch.snmp.contacts import wiring_of

__all__ = ["site_plan", "site_plans"]


def _target(config: Config, site: Site, index: int) -> TargetPlan:
    t = site.snmp[index]
    cred = config.credentials[t.credential]
    timeout = t.timeout if t.timeout is not None else config.daemon.snmp_timeout
    retries = t.retries if t.retries is not None else config.daemon.snmp_retries
    if isinstance(cred, SnmpV1V2Credential):
        community = (t.community or cred.community).reveal().encode()
        target = Target(host=t.host, port=t.port, version=cred.version, community=community,
                        timeout=timeout, retries=retries)
    else:
        assert isinstance(cred, SnmpV3Credential)
        usm = UsmAuth(
            username=cred.username,
            auth_protocol=cred.auth_protocol.value if cred.auth_protocol else None,
            auth_key=cred.auth_password.reveal() if cred.auth_password else None,
            priv_protocol=cred.priv_protocol.value if cred.priv_protocol else None,
            priv_key=cred.priv_password.reveal() if cred.priv_password else None,
            context_name=cred.context_name,
        )
        target = Target(host=t.host, port=t.port, version="3", usm=usm, timeout=timeout, retries=retries)
    return TargetPlan(target=target, profile_names=tuple(t.profiles), inputs=wiring_of(t.inputs))


def site_plan(config: Config, site: Site) -> SitePlan:
    """How to poll one site. Its whole poll never takes longer than the poll interval."""
    return SitePlan(site_id=site.id, targets=tuple(_target(config, site, i) for i in range(len(site.snmp))),
                    budget=config.daemon.poll_interval)


def site_plans(config: Config) -> dict[str, SitePlan]:
    """Plans for every site that has at least one SNMP target."""
    return {s.id: site_plan(config, s) for s in config.sites if s.snmp}
