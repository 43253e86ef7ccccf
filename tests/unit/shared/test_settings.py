import pytest

from newsflow_shared.settings import SettingsError, load_settings, settings_to_env


def test_missing_required_addresses_name_their_env_vars(monkeypatch):
    for key in ("NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS", "NEWSFLOW_REDIS__URL"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "NEWSFLOW_KAFKA" in str(error.value) and "NEWSFLOW_REDIS" in str(error.value)


def test_nested_sections_come_from_env(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("NEWSFLOW_REDIS__URL", "redis://cache:6379/0")
    monkeypatch.setenv("NEWSFLOW_RUNTIME__BATCH_SIZE", "7")
    settings = load_settings()
    assert (settings.kafka.bootstrap_servers, settings.runtime.batch_size) == ("broker:9092", 7)


def test_settings_round_trip_through_the_environment(monkeypatch):
    settings = load_settings(kafka={"bootstrap_servers": "b:1", "partitions": 3}, redis={"url": "redis://r:2/0"})
    for key, value in settings_to_env(settings).items():
        monkeypatch.setenv(key, value)
    assert load_settings() == settings


def test_settings_are_frozen():
    settings = load_settings(kafka={"bootstrap_servers": "b:1"}, redis={"url": "redis://r:2/0"})
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        settings.kafka.partitions = 9  # type: ignore[misc]
