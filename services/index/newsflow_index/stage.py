"""The index stage: a batching sink that files each document under its story."""

from __future__ import annotations

from collections.abc import Sequence

from newsflow_index.backend import IndexBackend
from newsflow_index.cache import DocumentCache
from newsflow_index.names import NameResolver
from newsflow_index.stories import Assignment, StoryClusterer
from newsflow_shared import topics
from newsflow_shared.models import ExtractedDocument
from newsflow_shared.stage import Dropped, Stage, StageResult, TransientError


class IndexStage(Stage[ExtractedDocument, ExtractedDocument]):
    """Resolves lone surnames to the stream's full names, assigns stories, upserts each batch
    (with the earlier documents whose story a cold start changed) into the backend (one commit)
    and caches it in Redis.

    A duplicate is stored as a link to its canonical document and recorded as dropped under its
    dedup reason: it is kept, but it is not a search hit of its own.
    """

    name = "index"
    input_model = ExtractedDocument
    input_topic = topics.EXTRACTED
    output_topic = None
    success_outcome = "indexed"

    def __init__(
        self,
        backend: IndexBackend,
        cache: DocumentCache | None,
        stories: StoryClusterer | None,
        min_commit_interval_s: float = 0.2,
        names: NameResolver | None = None,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.stories = stories
        self.names = names
        # Every batch is one commit, whose cost (and that of the segment merges it leads to)
        # hardly depends on its size: spacing batches lets documents arriving under load share a
        # commit instead of taking the CPU the extract stage needs (docs/performance.md).
        self.min_batch_interval_s = min_commit_interval_s

    def process(self, doc: ExtractedDocument) -> ExtractedDocument:
        return ExtractedDocument(**doc.stamped(self.name))

    async def process_batch(self, docs: Sequence[ExtractedDocument]) -> list[StageResult]:
        canonical = [d for d in docs if d.duplicate_of is None]
        if self.names is not None:
            resolved = {d.doc_id: d for d in await self.names.resolve(canonical)}
            docs = [resolved.get(d.doc_id, d) if d.duplicate_of is None else d for d in docs]
            canonical = [resolved[d.doc_id] for d in canonical]
        assignment = await self.stories.assign(canonical) if self.stories else Assignment([d.doc_id for d in canonical])
        story_of = dict(zip((d.doc_id for d in canonical), assignment.story_ids, strict=True))
        stored = [ExtractedDocument(**doc.stamped(self.name, story_id=story_of.get(doc.doc_id))) for doc in docs]
        try:
            # The earlier documents a cold start filed again whose stored story differs from the
            # one they have now are stored again, in the same commit.
            earlier = await self.backend.documents(sorted(assignment.refiled)) if assignment.refiled else {}
            refiled = [
                d.model_copy(update={"story_id": assignment.refiled[i]})
                for i, d in sorted(earlier.items())
                if d.story_id != assignment.refiled[i]
            ]
            await self.backend.upsert_many([*stored, *refiled])
        except OSError as exc:
            raise TransientError(f"index not writable: {exc}") from exc
        if self.cache is not None:
            await self.cache.put_many([d for d in [*stored, *refiled] if d.duplicate_of is None])
        return [
            Dropped(doc.duplicate_reason or "duplicate", f"stored as a link to {doc.duplicate_of}")
            if doc.duplicate_of
            else doc
            for doc in stored
        ]

    async def stop(self) -> None:
        await self.backend.close()
