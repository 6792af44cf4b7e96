"""Numbered notices printed as PDF (劝返通知书, 责令限期维修通知书, 处罚参考单, 抽测记录单, 解除通知书)."""
