app_name = "workareas"
urlpatterns: list = []
