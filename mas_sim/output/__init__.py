"""Output: what a run's tables become for people and tools, with no knowledge of how runs are
made: the table contract (:mod:`.tables`), Gantt charts (:mod:`.plots`) and Chrome/Perfetto
traces (:mod:`.chrome_trace`)."""
