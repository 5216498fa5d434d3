"""The busy-morning benchmark (issue 3), run by bench/busy_morning.py.

scenario: the morning's shape · environment: paths, database, environment · server: uvicorn
and the worker · branch: the branch and its accounts · clients: the run's log, API client
and shared state · visitors, clerks: the simulation · windows: the three browser windows ·
run: one morning · checks: the checks and numbers · report: the summary · cli: the command.
"""
