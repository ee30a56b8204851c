"""System benchmark (scripts/bench): Mosquitto, simulated plugs and a real Home Assistant."""
