"""The [insurer] section: values, the API key from the environment and never shown, errors naming file and key."""
import pytest

from creditguard.connector.config import load_config
from creditguard.connector.insurer.flow import make_client
from creditguard.mappings.errors import ConfigError
from tests.conftest import run_cli
from tests.test_config import GOOD, write

INSURER = GOOD + """
    [insurer]
    kind = "allianz"
    url = "http://127.0.0.1:8765"
    policy_id = "POL-1"
    """


def test_an_insurer_section_with_its_defaults(tmp_path):
    insurer = load_config(write(tmp_path, INSURER + '    api_key = "k-Secret-1"\n'), environ={}).insurer
    assert (insurer.kind, insurer.url, insurer.policy_id, insurer.approval, insurer.manual) == (
        "allianz", "http://127.0.0.1:8765", "POL-1", "auto", False)
    assert "k-Secret-1" not in repr(insurer)


def test_declarations_follow_approval_unless_set_and_extensions_are_customer_ids(tmp_path):
    insurer = load_config(write(tmp_path, INSURER + '    approval = "manual"\n    extensions = ["42", 57]\n'),
                          environ={"CREDITGUARD_INSURER_API_KEY": "k"}).insurer
    assert insurer.declarations_manual and insurer.extensions == {"42", "57"}
    insurer = load_config(write(tmp_path, INSURER + '    approval = "manual"\n    declarations = "auto"\n'),
                          environ={"CREDITGUARD_INSURER_API_KEY": "k"}).insurer
    assert insurer.manual and not insurer.declarations_manual and insurer.extensions == frozenset()


def test_no_insurer_section_means_no_insurer(tmp_path):
    assert load_config(write(tmp_path, GOOD), environ={}).insurer is None


def test_the_api_key_and_approval_come_from_the_environment(tmp_path):
    environ = {"CREDITGUARD_INSURER_API_KEY": "env-Key-2", "CREDITGUARD_INSURER_APPROVAL": "manual"}
    insurer = load_config(write(tmp_path, INSURER), environ=environ).insurer
    assert insurer.api_key == "env-Key-2" and insurer.manual


@pytest.mark.parametrize("line, where, says", [
    ('aproval = "manual"', "[insurer] aproval", "did you mean 'approval'?"),
    ('approval = "sometimes"', "[insurer] approval", "approval must be one of auto, manual"),
    ('kind = "coface"', "[insurer] kind", "unknown insurer kind 'coface'"),
    ('declarations = "later"', "[insurer] declarations", "declarations must be one of auto, manual"),
    ('extensions = [true]', "[insurer] extensions", "must be a list of customer ids"),
])
def test_a_bad_insurer_key_names_the_file_and_the_key(tmp_path, line, where, says):
    text = INSURER.replace('    kind = "allianz"\n', '') if line.startswith("kind") else INSURER
    path = write(tmp_path, text + f"    {line}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert f"{path}: {where}" in error.value.render() and says in error.value.render()


def test_a_missing_policy_id_and_a_bad_url_are_named(tmp_path):
    with pytest.raises(ConfigError, match="missing key 'policy_id'"):
        load_config(write(tmp_path, INSURER.replace('    policy_id = "POL-1"\n', '')), environ={})
    with pytest.raises(ConfigError, match="is not an http"):
        load_config(write(tmp_path, INSURER.replace("http://127.0.0.1:8765", "127.0.0.1:8765")), environ={})


def test_no_api_key_anywhere_is_a_config_error_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDITGUARD_INSURER_API_KEY", raising=False)
    config = load_config(write(tmp_path, INSURER), environ={})
    with pytest.raises(ConfigError) as error:
        make_client(config.insurer)
    assert "[insurer] api_key" in error.value.render() and "CREDITGUARD_INSURER_API_KEY" in error.value.render()


def test_the_command_line_exits_2_on_a_bad_insurer_section(tmp_path):
    path = write(tmp_path, INSURER + '    aproval = "manual"\n')
    proc = run_cli("run", "--config", path, "--once", check=2)
    assert f"{path}: [insurer] aproval: unknown key 'aproval'" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("insurer", "requests", "--config", path, check=2)
    assert "[insurer] aproval" in proc.stderr
