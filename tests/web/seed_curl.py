"""The seed's five cURL commands, copied unchanged from the seed document.

From /work/shared/seed/level_2_standard_agent_systems.md, "cURL Examples": the tests
run them as written (with the ``curl`` binary) against a real server, swapping only the
seed's ``http://localhost:8000`` for the server's address and its placeholder run id
``wf_12345678`` for the seed-shaped prefix (``wf_`` and 8 hex digits) of a real run.
"""

from __future__ import annotations

SEED_CURL = """\
# Start a workflow
curl -X POST "http://localhost:8000/v1/workflows/execute" \\
  -H "Content-Type: application/json" \\
  -d '{
    "task": "Process customer data and generate insights",
    "input_data": {
      "customers": [
        {"id": 1, "name": "John Doe", "purchases": 5, "total_spent": 250.50},
        {"id": 2, "name": "Jane Smith", "purchases": 3, "total_spent": 180.25}
      ]
    }
  }'

# Get workflow status
curl "http://localhost:8000/v1/workflows/wf_12345678/status"

# List all workflows
curl "http://localhost:8000/v1/workflows?limit=10"

# Check system health
curl "http://localhost:8000/v1/health"

# Get agent capabilities
curl "http://localhost:8000/v1/agents/capabilities"
"""
