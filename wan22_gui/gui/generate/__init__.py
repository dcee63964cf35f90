"""The Generate tab: source image, prompts, sizes, the calculator, models, the queue and its progress."""
