"""The main playbook on the lab, as ansible-core's next defaults will run it.

`make test` runs this on the oldest ansible-core in requires_ansible (with the whole suite) and,
through `make newest`, on the newest that installs. Either way a run prints no deprecation warning,
and a run with INJECT_FACTS_AS_VARS off (ansible-core 2.24's default) builds, re-runs without change
and checks the trust, as every role and filter reads the gathered facts from ``ansible_facts``.
"""

from ansible.release import __version__ as ANSIBLE_CORE
from labplay import changed_hosts, conf_state, run

pytest_plugins = ["lab.fixtures"]


def test_no_deprecation_warning_and_no_injected_facts_needed(make_lab):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    first = run(lab, "all", env={"ANSIBLE_DEPRECATION_WARNINGS": "True"}).expect_ok()
    assert "DEPRECATION" not in first.output, (ANSIBLE_CORE, first.output[-3000:])
    state = conf_state(lab)
    again = run(lab, "all", env={"ANSIBLE_INJECT_FACT_VARS": "False"},
                extra_args=["-e", "all_trust_verify_all=true"]).expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == state
    # The checks ran, reading the peers' cluster names from their gathered facts.
    logins = [r for r in again.results if r["task"].startswith("datafabric.crosscluster.verify : Log in to the peer")]
    assert sorted(r["host"] for r in logins) == ["a1", "b1"], again.describe()
    assert "DEPRECATION" not in again.output, (ANSIBLE_CORE, again.output[-3000:])
    print("ansible-core", ANSIBLE_CORE)
