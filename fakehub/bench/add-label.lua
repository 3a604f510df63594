-- wrk script: POST a label that is already present (no state change, no
-- webhook), so every request measures the same work.
wrk.method = "POST"
wrk.body = '{"labels":["bug"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ghp_bench"
