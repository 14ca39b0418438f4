-- The queries of bench/scale_plans.py: the settings of the connections that log plans.

-- name: explain_statements
-- For the connections of the first plan pass (superuser only): auto_explain logs the plan of
-- every statement the application sends, with ANALYZE and BUFFERS, and the log comes back to
-- this client as notices. Row-level security's per-row function calls show as filters.
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_triggers = on;
SET auto_explain.log_nested_statements = off;
SET client_min_messages = log;

-- name: explain_nested_statements
-- For the second plan pass: the statements inside functions and triggers too (book's checks,
-- a trigger's UPDATE), those of 1 ms or more: the calls row-level security makes once per row
-- are each far quicker, and there can be millions.
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 1;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_triggers = on;
SET auto_explain.log_nested_statements = on;
SET client_min_messages = log;
