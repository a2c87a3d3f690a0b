Console.Error.WriteLine("bench: see bench/README.md");
