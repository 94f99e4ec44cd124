"""The Executions page, one widget per file:

- ``page.py``: ExecutionsPage – the list and the open execution's detail, the watching (sessions)
- ``execution_list.py``: the executions list (its model: ``ExecutionListModel``)
- ``session.py``: ExecutionSession – one execution's monitor, run as one task
- ``detail.py``: ExecutionDetail – lays out and feeds the parts below
- ``header.py``: the header (badges, elapsed, progress, buttons, banner)
- ``waves_pane.py``: the waves table and the Gantt timeline
- ``servers_pane.py``: the servers table (its model and columns: ``ServerModel`` in
  ``ui/models/execution_models.py``) with the wave and text filters
- ``job_log.py``: the DRS job log
- ``actions.py``: Resume, Cancel, Terminate, Export, re-authenticate, Run
- ``sizing.py``: column widths from the font, pane sizes, badge colours
"""

from .detail import ExecutionDetail
from .page import MAX_WATCHED, ExecutionsPage
from .session import ExecutionSession

__all__ = ["MAX_WATCHED", "ExecutionDetail", "ExecutionSession", "ExecutionsPage"]
