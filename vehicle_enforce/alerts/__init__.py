"""Heavy-pollution alerts and the vehicle and machinery restrictions they trigger."""
