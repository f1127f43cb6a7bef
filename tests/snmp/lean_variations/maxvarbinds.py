"""snmpsim variation module: answer tooBig when a request carries more than ``limit`` varbinds.

It makes snmpsim behave like a device with a small response buffer (net-snmp's snmpd never
answers tooBig over UDP for v1/v2c: it drops what it cannot send). Record syntax:
``OID|TAG:maxvarbinds|limit=N,value=VALUE`` (VALUE without commas).
"""

from pysnmp.smi import error


def init(**context):
    pass


def variate(oid, tag, value, **context):
    if not context["nextFlag"] and not context["exactMatch"]:
        return context["origOid"], tag, context["errorStatus"]
    settings = dict(item.split("=", 1) for item in value.split(","))
    if context["varsTotal"] > int(settings["limit"]):
        raise error.TooBigError(name=oid, idx=0)
    return oid, tag, settings["value"]


def shutdown(**context):
    pass
