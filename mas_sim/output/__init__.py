"""Output: what a run's tables become for people and tools, with no knowledge of how runs are
made: the table contract (:mod:`.tables`), static Gantt charts (:mod:`.plots`), interactive
ones (:mod:`.interactive`, extra ``viz``), the HTML report (:mod:`.report`) and
Chrome/Perfetto traces (:mod:`.chrome_trace`)."""
