"""The load generator behind `scripts/bench_load.py`: browser tabs over Socket.IO, the servers, their CPU and memory."""
