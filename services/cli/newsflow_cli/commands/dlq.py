"""``newsflow dlq list|show|replay``: inspect dead letters and re-inject them after a fix."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from newsflow_cli.commands.common import exit_on_bad_settings, local_settings_or_exit
from newsflow_shared.settings import Settings, SettingsError, load_settings, settings_from_env


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("dlq", help="inspect and replay dead letters")
    verbs = parser.add_subparsers(dest="dlq_command", required=True)
    for verb, text in (
        ("list", "one line per dead letter"),
        ("show", "everything about one dead letter (REF is partition:offset or a doc_id)"),
        ("replay", "re-inject dead letters into the topic they failed on"),
    ):
        sub = verbs.add_parser(verb, help=text)
        if verb == "show":
            sub.add_argument("ref")
        sub.add_argument("--reason", help="only this reason code")
        sub.add_argument("--stage", help="only this stage")
        sub.add_argument("--data-dir", help="a running embedded stack's data dir (else NEWSFLOW_* settings)")
        if verb == "list":
            sub.add_argument("--json", action="store_true", help="one JSON object per line")
        if verb == "replay":
            sub.add_argument("--again", action="store_true", help="also resend what was replayed before")
    parser.set_defaults(handler=lambda args: asyncio.run(_dlq(args)))


def connected_settings(data_dir: str | None) -> Settings:
    """A running embedded stack's settings when ``data_dir`` names one (or no broker is
    configured), else the environment's."""
    from newsflow_cli.stack import STACK_SETTINGS_FILE

    if data_dir is None:
        try:
            return load_settings()
        except SettingsError:
            pass  # no broker configured: look for a running embedded stack
    stack_file = local_settings_or_exit("dlq", data_dir).data_dir / STACK_SETTINGS_FILE
    if not stack_file.exists():
        raise SettingsError(f"no NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS, and no running stack at {stack_file.parent}")
    return settings_from_env(json.loads(stack_file.read_text()))


async def _dlq(args: argparse.Namespace) -> int:
    from newsflow_cli import dlq

    try:
        settings = connected_settings(args.data_dir)
    except SettingsError as exc:
        raise exit_on_bad_settings("dlq", exc) from exc
    letters = await dlq.read_letters(settings, args.reason, args.stage)
    if args.dlq_command == "list":
        if args.json:
            for letter in letters:
                print(json.dumps({"ref": letter.ref, **letter.record.model_dump(mode="json", exclude={"payload"})}))
        else:
            print(dlq.table(letters) if letters else "no dead letters")
        return 0
    if args.dlq_command == "show":
        found = [x for x in letters if args.ref in (x.ref, x.record.doc_id)]
        if not found:
            print(f"no dead letter {args.ref}", file=sys.stderr)
            return 1
        print("\n\n".join(dlq.detail(x) for x in found))
        return 0
    sent, before, impossible = await dlq.replay(settings, letters, again=args.again)
    print(f"replayed {sent}; {before} replayed before (--again resends them); {impossible} not replayable")
    return 0
