"""Masking keeps the words of a message and turns its values into <*>."""
import pytest

from incidentbot.evidence.masking import mask_variables


@pytest.mark.parametrize("raw, masked", [
    ("connection pool exhausted after 30000ms waiting for a connection",
     "connection pool exhausted after <*>ms waiting for a connection"),
    ("GET /api/orders/8812/items took 12.5s", "GET /api/orders/<*>/items took <*>s"),
    ("heap at 512MB of 2GiB", "heap at <*>MB of <*>GiB"),
    ("request 3f2a9c1e-77b2-4c1d-9a0e-2b3c4d5e6f70 failed", "request <*> failed"),
    ("connect to 10.0.0.12:5432 refused", "connect to <*> refused"),
    ("connect to [2001:db8::1]:443 failed", "connect to <*>:<*> failed"),  # a bracket of values is a value
    ("peer fe80::1ff:fe23:4567:890a down", "peer <*> down"),
    ("mail to alice@example.com bounced", "mail to <*> bounced"),
    ("at 2026-03-14T14:04:07.112Z and 2026-03-14 14:04:07,112", "at <*> and <*>"),
    ("since Mar 14 14:04:07 ok", "since <*> ok"),
    ('relation "users" does not exist', 'relation "<*>" does not exist'),
    ("KeyError: 'user_id'", "KeyError: '<*>'"),
    ("user=bob status=500 note=\"two words\"", 'user=<*> status=<*> note="<*>"'),
    ("commit a3f9c2e1 hash 0x7ffd1234", "commit <*> hash <*>"),
    ("Received block blk_-1608999687919862906 of size 67108864", "Received block blk_<*> of size <*>"),  # the sign is part of the value
    ("pod checkout-7d9f8b6c5-x2k4q restarted", "pod checkout-<*> restarted"),
    ("disk 95% full", "disk <*>% full"),
    ('"GET /api/orders/8812 HTTP/1.1" 500', '"<*>" <*>'),  # a quoted request inside a message is context
])
def test_known_messages(raw: str, masked: str) -> None:
    assert mask_variables(raw) == masked


@pytest.mark.parametrize("text", [
    "connection pool exhausted",
    "deadbeef facade added to the cache",
    "can't reach upstream, don't retry",
    "sha256 checksum mismatch in utf-8 payload over ipv6",
])
def test_words_stay_words(text: str) -> None:
    assert mask_variables(text) == text


def test_same_template_different_values_mask_alike() -> None:
    a = mask_variables("timeout after 30000ms talking to 10.1.2.3:8080 (attempt 2 of 3)")
    b = mask_variables("timeout after 5ms talking to 192.168.0.77:443 (attempt 3 of 3)")
    assert a == b == "timeout after <*>ms talking to <*> (attempt <*> of <*>)"


def test_empty_and_junk_do_not_fail() -> None:
    assert mask_variables("") == ""
    junk = "".join(chr(c) for c in range(0x300)) * 50
    assert isinstance(mask_variables(junk), str)
    assert mask_variables('"' * 70000) == '"' * 70000  # a run of quotes holds no value
    assert mask_variables('x "' + 'a' * 70000) == 'x "' + 'a' * 70000  # an unclosed quote masks nothing


@pytest.mark.parametrize("raw, masked", [
    # host names with ports, proxy chains: one value each, however many labels
    ("www.example.com:443 open through proxy 10.0.0.5:5070 HTTPS", "<*> open through proxy <*> HTTPS"),
    ("auth for api.example.com failed", "auth for <*> failed"),
    # counters in prose: a number, its unit and a parenthesised restatement are one value
    ("a.b.org:80 close, 1203 bytes sent, 4.2 KB received, lifetime 00:01",
     "<*> close, <*> sent, <*> received, lifetime <*>"),
    ("x.example.net:443 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime <1 sec",
     "<*> close, <*> sent, <*> received, lifetime <*>"),
    # bracketed and key-value context
    ("[instance: 3f2a9c1e-77b2-4c1d-9a0e-2b3c4d5e6f70] Terminating instance", "[instance: <*>] Terminating instance"),
    (("[req-3f2a9c1e-77b2-4c1d-9a0e-2b3c4d5e6f70 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e "
      "- - -] VM Started"), "<*> VM Started"),
    ("[-] VM Started", "<*> VM Started"),
    ("status: 200 len: 1893 time: 0.2477829", "status: <*> len: <*> time: <*>"),
    ("Final resource view: name=cp-1.example.us phys_ram=64172MB pci_stats=[]",
     "Final resource view: name=<*> phys_ram=<*> pci_stats=<*>"),
    # fields joined by | : or ## without spaces
    ("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579", "<*>|Step_LSC|<*>|onStandStepChanged <*>"),
    ("getTodayTotalDetailSteps = 1514038440000##7007##548365##8661##12361##27173954", "getTodayTotalDetailSteps = <*>"),
    ("onExtend:1514038530000 14 0 4", "onExtend:<*> <*> <*> <*>"),
    # numbers glued to words, hex addresses, durations
    ("CPU3: Core temperature above threshold", "<*>: Core temperature above threshold"),
    ("ARPT: 620651.110162: wl0: MDNS: IPV4 Addr: 10.0.0.2", "ARPT: <*>: <*>: MDNS: IPV4 Addr: <*>"),
    ("segfault at 7ffd1234 ip 00007f3a2b1c4d5e sp 0xffff8800deadbeef", "segfault at <*> ip <*> sp <*>"),
    ("idle cancel, took 0.000245s", "idle cancel, took <*>s"),
    ("Took 19.84 seconds to spawn", "Took <*> to spawn"),
    # timestamps
    ("since Jul  1 09:00:55 and 14/Mar/2026:13:00:01 +0000", "since <*> and <*>"),
])
def test_shapes_of_every_log_kind(raw: str, masked: str) -> None:
    assert mask_variables(raw) == masked


def test_batch_masking_equals_one_by_one() -> None:
    from incidentbot.evidence.masking import mask_many

    messages = ["user=bob at 10.0.0.1:80", "", 'relation "x" gone', "Took 5 ms", "plain words"]
    assert mask_many(messages) == [mask_variables(m) for m in messages]
    assert mask_many([]) == []
