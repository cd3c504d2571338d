# The seed's Level2Client, copied UNCHANGED from the seed document
# (/work/shared/seed/level_2_standard_agent_systems.md, "Client Usage Examples",
# level2_client_example.py): the tests run it as written against a real server, to hold
# actorflow to "a client written against the seed works unchanged". Do not edit or
# reformat it: it is excluded from ruff (pyproject.toml) to stay verbatim.
# level2_client_example.py
import requests
import time
import json

class Level2Client:
    """Simple client for Level 2 API"""
    
    def __init__(self, base_url: str = "http://localhost:8000"):
        self.base_url = base_url
    
    def execute_workflow(self, task: str, input_data: dict, 
                        wait_for_completion: bool = True) -> dict:
        """Execute a workflow and optionally wait for completion"""
        
        # Submit workflow
        response = requests.post(
            f"{self.base_url}/v1/workflows/execute",
            json={
                "task": task,
                "input_data": input_data
            }
        )
        response.raise_for_status()
        
        workflow_data = response.json()
        workflow_id = workflow_data["workflow_id"]
        
        if not wait_for_completion:
            return {"workflow_id": workflow_id, "status": "submitted"}
        
        # Poll for completion
        while True:
            status_response = requests.get(
                f"{self.base_url}/v1/workflows/{workflow_id}/status"
            )
            status_response.raise_for_status()
            
            status_data = status_response.json()
            
            if status_data["status"] == "completed":
                return status_data["results"]
            elif status_data["status"] == "failed":
                raise Exception(f"Workflow failed: {status_data.get('error')}")
            
            # Show progress
            progress = status_data.get("progress", {})
            print(f"Progress: {progress.get('current_stage', 'unknown')} "
                  f"({progress.get('completion', 0)}%)")
            
            time.sleep(2)  # Poll every 2 seconds

# Usage examples
def main():
    client = Level2Client()
    
    # Example 1: Process financial data
    financial_data = {
        "records": [
            {"date": "2024-01-15", "revenue": "1500.75", "currency": "USD"},
            {"date": "2024-01-16", "revenue": "1200.50", "currency": "USD"}
        ]
    }
    
    result = client.execute_workflow(
        task="Process and analyze financial revenue data",
        input_data=financial_data
    )
    
    print("Financial analysis results:")
    print(json.dumps(result, indent=2))
    
    # Example 2: Process marketing data (async)
    marketing_data = {
        "campaigns": [
            {"name": "Campaign A", "impressions": 10000, "clicks": 150, "spend": 500},
            {"name": "Campaign B", "impressions": 8000, "clicks": 120, "spend": 400}
        ]
    }
    
    async_result = client.execute_workflow(
        task="Analyze marketing campaign performance", 
        input_data=marketing_data,
        wait_for_completion=False
    )
    
    print(f"Marketing analysis started: {async_result['workflow_id']}")

if __name__ == "__main__":
    main()
