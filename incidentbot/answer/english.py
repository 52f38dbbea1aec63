"""Ordinary words a summary may capitalise mid-sentence without naming anything.

The claims check flags a capitalised word in the middle of a sentence that
the evidence does not hold ("the Kafka broker failed"): in English that is
how a proper noun, a product or a component, shows itself. Title case on an
ordinary word ("the Payment Service", "5xx Errors rose") and the usual
acronyms (HTTP, DNS, UTC) show it too, so they are listed here and pass.

A compact list in code rather than a word-frequency library: `wordfreq`
installs (about 58 MB of data) but folds case, so it cannot tell a name
from a word: "kafka" scores 2.97 on its Zipf scale, "timeout" 3.21,
"vault" 3.9 and "java" 4.0. What a summary capitalises for no reason is a
small, closed set: incident vocabulary, calendar names, a few hundred
frequent English words (openers after a colon or in a title-cased phrase).
A product that is also a plain word (Vault, Envoy) passes when capitalised:
the check is a net for invented names, not a dictionary of every product.
"""
from __future__ import annotations

_FREQUENT = """
a about above across after again against all almost already also although always am among an and another any
anything are around as at away back be because been before being below between both but by can cannot could
did do does doing done down during each either else enough even ever every few first for from further had has
have having he her here hers him his how however i if in into is it its itself just last later least less like
likely little many may maybe me meanwhile more most much must my near nearly neither never new next no none nor
not nothing now of off often on once one only or other others otherwise our ours out over overall own per perhaps
quite rather same several she should since so some something soon still such than that the their theirs them
then there these they this those though through thus to today together too toward towards under unless until up
upon us very via was we well were what whatever when where whether which while who whole whom whose why will
with within without would yet you your yours yesterday tonight tomorrow shortly earlier later first second third
finally also both each main mostly partly likeliest likely unlikely possible possibly probably clearly only
""".split()

_INCIDENT = """
access alert alerts alarm analysis answer app application applications approach attempt attempts auth
authentication authorization backend backends backlog backoff balancer bandwidth baseline batch broker brokers
bug build burst cache caches call calls canary capacity cause causes certificate certificates change changes
channel check checks client clients cluster clusters code commit config configuration configs connection
connections consumer consumers container containers controller count counts cpu crash crashes cron customer
customers daemon dashboard data database databases deadline deadlock dependency dependencies deploy deployed
deployment deployments detail details disk disks domain downstream drop drops endpoint endpoints engine
environment error errors event events evidence exception exceptions failure failures fault feature features
file files firewall flag flags frontend function gateway gateways handler health heap host hosts image incident
incidents index indexes indices infra infrastructure ingress instance instances integration job jobs key keys
latency layer leak limit limits line lines listener load lock locks log logs logging memory message messages
metric metrics migration migrations mode model module monitor network node nodes onset operation operator order
orders outage owner package packet page pattern patterns payload payment payments peak permission permissions
pipeline platform pod pods policy pool pools port primary process processes producer production proxy queries
query queue queues quota rate rates read reads record records region release releases replica replicas request
requests resource resources response responses restart restarts retries retry rollback rollbacks rollout route
router rule rules runtime schema scheduler secret secrets server servers service services session sessions shard
shards signal socket spike spikes stack staging status storage store stream subscription suspect suspects sync
system systems table tables task tasks team test thread threads threshold throughput ticket timeout timeouts
token tokens topic topics trace traces traffic transaction transactions upgrade upstream user users value
values version versions volume warning warnings window worker workers write writes zone
critical debug fatal info notice warn severe high medium low confidence
""".split()

_CALENDAR = """
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
""".split()

# acronyms, protocol names and units: vocabulary, not components of this system
_ACRONYMS = """
api apis cpu cpus dns gc grpc http https id ids io ip ips json jvm mtls oauth ok oom os pr prs qps ram rpc
rps sla slo sli sql ssh ssl tcp tls ttl udp ui uri url urls utc gmt vm vms xml yaml cdn ci cd db dbs sre
tz gpu gpus rss
b kb mb gb tb kib mib gib tib kbps mbps gbps ms us ns sec secs min mins hr hrs
""".split()

COMMON_WORDS = frozenset(_FREQUENT + _INCIDENT + _CALENDAR + _ACRONYMS)
