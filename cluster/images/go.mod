module kubeha.local/images

go 1.24
